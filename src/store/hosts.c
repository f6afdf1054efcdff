/*
 * store/hosts.c: the executor hosts table.
 *
 * It stores what it is given: checking a host's URL or limits is core's
 * job. It must never remove a host that jobs still depend on (queued and
 * pinned to it, or launching or running there): those jobs would be left
 * pointing at nothing.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/timeutil.h"
#include "util/vec.h"

static int host_from_row(db_stmt_t *st, host_t *h, char **err)
{
	bool oom = false;
	host_init(h);
	h->id = col_i64(st, 0);
	h->name = col_text(st, 1, &oom);
	h->url = col_text(st, 2, &oom);
	h->tls_ca = col_text(st, 3, &oom);
	h->tls_cert = col_text(st, 4, &oom);
	h->tls_key = col_text(st, 5, &oom);
	h->tls_verify = col_int(st, 6) != 0;
	h->max_jobs = col_int(st, 7);
	h->weight = col_int(st, 8);
	h->pull_images = col_int(st, 9) != 0;
	h->network_mode = col_text(st, 10, &oom);
	h->enabled = col_int(st, 11) != 0;
	h->created_at = col_i64(st, 12);
	h->checked_at = col_i64(st, 13);
	h->check_ok = col_int(st, 14) != 0;
	h->check_message = col_text(st, 15, &oom);
	h->registry_auth = col_text(st, 17, &oom);
	if (oom) {
		host_free(h);
		return err_set(err, "out of memory");
	}
	const char *allow = col_str(st, 16);
	if ((!allow && !col_null(st, 16)) || host_allow_from_json(allow, &h->allow, err) < 0) {
		host_free(h);
		return allow ? err_prefix(err, "host %lld", (long long)h->id)
			     : err_set(err, "out of memory");
	}
	return 0;
}

/* The fields a person may change, in the order of the SQL below. */
static void bind_host_fields(binder_t *b, const host_t *h, const char *allow)
{
	bind_text(b, h->url);
	bind_text(b, h->tls_ca);
	bind_text(b, h->tls_cert);
	bind_text(b, h->tls_key);
	bind_i64(b, h->tls_verify);
	bind_i64(b, h->max_jobs);
	bind_i64(b, h->weight);
	bind_i64(b, h->pull_images);
	bind_text(b, h->network_mode);
	bind_i64(b, h->enabled);
	bind_i64(b, h->checked_at);
	bind_i64(b, h->check_ok);
	bind_text(b, h->check_message);
	bind_text(b, allow);
	bind_text(b, h->registry_auth);
}

static int insert_host(store_t *s, const host_t *h, int64_t now, int64_t *id, char **err)
{
	db_stmt_t *st = NULL;
	if (st_prepare(s, "INSERT INTO hosts (url, tls_ca, tls_cert, tls_key, tls_verify, "
			  "max_jobs, weight, pull_images, network_mode, enabled, checked_at, "
			  "check_ok, check_message, allowances, registry_auth, name, created_at) "
			  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		       &st, err) < 0)
		return -1;
	char *allow = NULL;
	if (host_allow_to_json(&h->allow, &allow, err) < 0) {
		st_release(s, st);
		return -1;
	}
	binder_t b;
	bind_start(&b, st);
	bind_host_fields(&b, h, allow);
	bind_text(&b, h->name);
	bind_i64(&b, now);
	int rc = bind_check(s, &b, "cannot add the host", err);
	if (rc == 0) {
		int step = st_step(st);
		if (step == DB_E_UNIQUE)
			rc = err_set(err, "an executor host named \"%s\" already exists",
				     h->name);
		else if (step == DB_DONE)
			*id = db_last_id(s, st);
		else
			rc = db_fail_rc(s, step, "cannot add the host", err);
	}
	st_release(s, st);
	free(allow);
	return rc;
}

int store_host_add(store_t *s, host_t *host, char **err)
{
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	int64_t now = now_ms();
	int64_t id = 0;
	int rc = insert_host(s, host, now, &id, err);
	if (tx_finish(s, rc, err) < 0)
		return -1;
	host->id = id;
	host->created_at = now;
	return 0;
}

int store_host_get(store_t *s, const char *name, host_t *out, char **err)
{
	host_init(out);
	if (store_ready(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT " HOST_COLUMNS " FROM hosts WHERE name = ?", &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_text(&b, name);
	int rc = bind_check(s, &b, "cannot read the host", err);
	if (rc == 0) {
		int step = st_step(st);
		if (step == DB_ROW)
			rc = host_from_row(st, out, err);
		else if (step == DB_DONE)
			rc = 1;
		else
			rc = db_fail_rc(s, step, "cannot read the host", err);
	}
	st_release(s, st);
	return rc;
}

void store_host_list_free(host_t *hosts, size_t n)
{
	for (size_t i = 0; hosts && i < n; i++)
		host_free(&hosts[i]);
	free(hosts);
}

int store_host_list(store_t *s, host_t **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	if (store_ready(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT " HOST_COLUMNS " FROM hosts ORDER BY name", &st, err) < 0)
		return -1;
	host_t *v = NULL;
	size_t count = 0, cap = 0;
	int rc = 0, step = DB_DONE;
	while (rc == 0 && (step = st_step(st)) == DB_ROW) {
		if (!vec_room(&v, &cap, count, sizeof(*v), 8)) {
			rc = err_set(err, "out of memory");
			break;
		}
		if ((rc = host_from_row(st, &v[count], err)) == 0)
			count++;
	}
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot list the hosts", err);
	st_release(s, st);
	if (rc < 0) {
		store_host_list_free(v, count);
		return -1;
	}
	*out = v;
	*n = count;
	return 0;
}

int store_host_update(store_t *s, const host_t *host, char **err)
{
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	int rc = st_prepare(s, "UPDATE hosts SET url = ?, tls_ca = ?, tls_cert = ?, "
			       "tls_key = ?, tls_verify = ?, max_jobs = ?, weight = ?, "
			       "pull_images = ?, network_mode = ?, enabled = ?, checked_at = ?, "
			       "check_ok = ?, check_message = ?, allowances = ?, registry_auth = ? "
			       "WHERE name = ?",
			    &st, err);
	char *allow = NULL;
	if (rc == 0)
		rc = host_allow_to_json(&host->allow, &allow, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_host_fields(&b, host, allow);
		bind_text(&b, host->name);
		rc = exec_changes(s, st, &b, "cannot update the host", err);
	} else if (st) {
		st_release(s, st);
	}
	free(allow);
	return tx_finish(s, rc, err);
}

/* Says which jobs hold the host and what to do about them. */
static int check_unused(store_t *s, const char *name, char **err)
{
	int64_t queued = 0, active = 0;
	if (query_count(s, "SELECT count(*) FROM jobs WHERE host = ?1 AND status = 'queued'",
			name, &queued, err) < 0 ||
	    query_count(s, "SELECT count(*) FROM jobs WHERE status IN ('launching', "
			   "'running') AND (ran_on = ?1 OR host = ?1)",
			name, &active, err) < 0)
		return -1;
	if (active > 0 && queued > 0)
		return err_set(err, "cannot remove host \"%s\": %lld job(s) are launching or "
				    "running on it and %lld queued job(s) are pinned to it; "
				    "disable the host, cancel the queued jobs, and wait for the "
				    "others to finish (or cancel them) before removing it",
			       name, (long long)active, (long long)queued);
	if (active > 0)
		return err_set(err, "cannot remove host \"%s\": %lld job(s) are launching or "
				    "running on it; disable the host and wait for them to "
				    "finish (or cancel them) before removing it",
			       name, (long long)active);
	if (queued > 0)
		return err_set(err, "cannot remove host \"%s\": %lld queued job(s) are pinned "
				    "to it; cancel them (or let them run) before removing it",
			       name, (long long)queued);
	return 0;
}

static int remove_host(store_t *s, const char *name, char **err)
{
	int64_t exists = 0;
	if (query_count(s, "SELECT count(*) FROM hosts WHERE name = ?", name, &exists, err) < 0)
		return -1;
	if (!exists)
		return 1;
	if (check_unused(s, name, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "DELETE FROM hosts WHERE name = ?", &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_text(&b, name);
	return exec_changes(s, st, &b, "cannot remove the host", err);
}

int store_host_remove(store_t *s, const char *name, char **err)
{
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	return tx_finish(s, remove_host(s, name, err), err);
}

int store_host_count(store_t *s, int64_t *n, char **err)
{
	*n = 0;
	if (store_ready(s, err) < 0)
		return -1;
	return query_count(s, "SELECT count(*) FROM hosts", NULL, n, err);
}

int store_host_checked(store_t *s, const char *name, bool ok, const char *message,
		       char **err)
{
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	int rc = st_prepare(s, "UPDATE hosts SET checked_at = ?, check_ok = ?, "
			       "check_message = ? WHERE name = ?",
			    &st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_i64(&b, now_ms());
		bind_i64(&b, ok);
		bind_text(&b, message);
		bind_text(&b, name);
		rc = exec_changes(s, st, &b, "cannot record the health check", err);
	}
	if (rc == 1)
		rc = err_set(err, "no executor host named \"%s\"", name);
	return tx_finish(s, rc, err);
}
