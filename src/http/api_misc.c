/*
 * http/api_misc.c: hosts, status, the health of the server itself and the
 * API's own description. As everywhere in src/http, the work and its
 * messages are the operations' (src/ops); this file serializes.
 */
#include "http/internal.h"

#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"
#include "ops/report.h"
#include "util/opt.h"
#include "ops/render.h"
#include "ops/status.h"
#include "store/report.h"
#include "util/err.h"
#include "util/timeutil.h"

#define HEALTH_TIMEOUT_S 10

void api_healthz(http_req_t *r)
{
	int cur = 0, latest = 0;
	char *err = NULL;
	if (store_schema_version(r->store, &cur, &latest, &err) < 0) {
		http_reply_error(r, 503, "the job store cannot be read: %s", err_str(err));
		free(err);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:b, s:s}", "ok", 1, "store",
					  store_driver_name(r->store)));
}

void api_openapi(http_req_t *r)
{
	http_reply_json(r, 200, http_openapi());
}

void api_hosts_list(http_req_t *r)
{
	host_t *hosts = NULL;
	size_t n = 0;
	char *err = NULL;
	if (store_host_list(r->store, &hosts, &n, &err) < 0) {
		http_reply_ops(r, OPS_E_STORE, err);
		free(err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, render_host_json(&hosts[i]));
	store_host_list_free(hosts, n);
	http_reply_json(r, 200, json_pack("{s:o}", "hosts", arr));
}

void api_host_health(http_req_t *r)
{
	host_t h;
	host_init(&h);
	char *err = NULL;
	ops_rc_t rc = ops_host_load(r->store, r->params[0], &h, &err);
	if (rc != OPS_OK) {
		http_reply_ops(r, rc, err);
		free(err);
		host_free(&h);
		return;
	}
	ops_check_t c = {0};
	if (ops_check_hosts(r->store, &h, 1, HEALTH_TIMEOUT_S, &c, &err) < 0)
		http_reply_ops(r, OPS_E_STORE, err);
	else
		http_reply_json(r, 200, ops_check_json(&h, &c));
	ops_check_free(&c, 1);
	host_free(&h);
	free(err);
}

void api_status(http_req_t *r)
{
	store_status_t st = {0};
	char *err = NULL;
	int64_t now = now_ms();
	if (store_status(r->store, NULL, now, &st, &err) < 0)
		http_reply_ops(r, OPS_E_STORE, err);
	else
		http_reply_json(r, 200, ops_status_json(&st, NULL, false, NULL, 0, NULL, now));
	store_status_free(&st);
	free(err);
}

void api_report(http_req_t *r)
{
	/* ?since and ?until as the command line's --since and --until, their
	 * defaults included. */
	int64_t when[2] = {0, 0};
	char *err = NULL;
	cli_pin_now(now_ms());
	for (int i = 0; i < 2; i++) {
		const cli_option_t *o = &ops_report_period_options[i];
		const char *text = http_query(r, o->name);
		cli_value_t v = {0};
		if (cli_parse_value(o, text ? text : o->def, &v, &err) < 0) {
			cli_pin_now(0);
			http_reply_error(r, 400, "?%s: %s", o->name, err_str(err));
			free(err);
			return;
		}
		when[i] = v.num;
	}
	cli_pin_now(0);
	int64_t now = now_ms(), since = when[0], until = when[1];
	const char *host = http_query(r, "host");
	host_t h;
	host_init(&h);
	ops_rc_t rc = ops_report_period_check(since, until, http_query(r, "since") != NULL, &err);
	if (rc == OPS_OK && host)
		rc = ops_host_load(r->store, host, &h, &err);
	host_free(&h);
	store_report_t rep;
	if (rc == OPS_OK && store_report(r->store, since, until, host, &rep, &err) < 0)
		rc = OPS_E_STORE;
	if (rc != OPS_OK) {
		http_reply_ops(r, rc, err);
		free(err);
		return;
	}
	http_reply_json(r, 200, ops_report_json(&rep, since, until, host, now));
	store_report_free(&rep);
}
