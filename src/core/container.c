/*
 * core/container.c: parsing and checking a job's container options and a
 * host's allowances; see container.h. Pure functions: no I/O.
 */
#include "core/container.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/job.h"
#include "core/validate.h"
#include "util/err.h"
#include "util/parse.h"
#include "util/strbuf.h"

const char *const ctr_pull_names[] = {"host", "always", "missing", "never", NULL};
const char *const ctr_pull_choices[] = {"always", "missing", "never", NULL};

void ctr_mount_free(ctr_mount_t *m)
{
	free(m->source);
	free(m->target);
	memset(m, 0, sizeof(*m));
	m->tmpfs_mode = -1;
}

void ctr_gpus_free(ctr_gpus_t *g)
{
	strv_free(g->ids);
	memset(g, 0, sizeof(*g));
}

void container_free(job_container_t *c)
{
	strv_free(c->volumes);
	strv_free(c->mounts);
	strv_free(c->tmpfs);
	free(c->user);
	free(c->entrypoint);
	free(c->hostname);
	strv_free(c->labels);
	free(c->network);
	strv_free(c->cap_add);
	strv_free(c->cap_drop);
	free(c->gpus);
	memset(c, 0, sizeof(*c));
}

void host_allow_free(host_allow_t *a)
{
	strv_free(a->bind);
	strv_free(a->cap_add);
	memset(a, 0, sizeof(*a));
}

bool container_is_empty(const job_container_t *c)
{
	return !c->nvolumes && !c->nmounts && !c->ntmpfs && !c->user && !c->entrypoint &&
	       !c->hostname && !c->nlabels && !c->network && c->pull == CTR_PULL_HOST &&
	       !c->read_only && !c->shm_size && !c->init && !c->ncap_add && !c->ncap_drop &&
	       !c->no_new_privileges && !c->gpus;
}

static int oom(char **err)
{
	return err_set(err, "out of memory");
}

/* ---- paths ---- */

/* An absolute path with "." and ".." resolved and repeated slashes
 * collapsed, by its text alone; ".." at the root stays at the root. */
static char *path_clean(const char *p)
{
	size_t n = strlen(p);
	char *out = malloc(n + 2);
	if (!out)
		return NULL;
	size_t o = 0;
	for (const char *q = p; *q;) {
		while (*q == '/')
			q++;
		const char *e = q;
		while (*e && *e != '/')
			e++;
		size_t len = (size_t)(e - q);
		if (len == 0 || (len == 1 && q[0] == '.')) {
			/* nothing */
		} else if (len == 2 && q[0] == '.' && q[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--; /* the slash before the dropped component */
		} else {
			out[o++] = '/';
			memcpy(out + o, q, len);
			o += len;
		}
		q = e;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

/* True when clean path p is dir or lies under it, component by component. */
static bool path_under(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

static int check_path(const char *option, const char *what, const char *p, char **err)
{
	if (!p || p[0] != '/')
		return err_set(err, "%s: the %s '%.80s' must be an absolute path, e.g. /data",
			       option, what, p ? p : "");
	char label[80];
	snprintf(label, sizeof(label), "%s: the %s", option, what);
	return validate_text(label, p, CTR_PATH_MAX, err);
}

/* A named volume: Docker's [a-zA-Z0-9][a-zA-Z0-9_.-]+. */
static int check_volume_name(const char *option, const char *s, char **err)
{
	bool ok = isalnum((unsigned char)s[0]) && strlen(s) >= 2 && strlen(s) <= 255;
	for (const char *p = s; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || strchr("_.-", *p);
	if (!ok)
		return err_set(err,
			       "%s: '%.80s' is neither an absolute host path nor a volume name: "
			       "write /host/dir:/dir for a bind mount or NAME:/dir for a named "
			       "volume (letters, digits, '_', '.', '-', at least 2)",
			       option, s);
	return 0;
}

/* ---- --volume ---- */

int ctr_volume_parse(const char *text, ctr_mount_t *m, char **err)
{
	static const char hint[] = "write SRC:DST or SRC:DST:ro, e.g. /data:/data:ro";
	memset(m, 0, sizeof(*m));
	m->tmpfs_mode = -1;
	char *copy = strdup(text);
	if (!copy)
		return oom(err);
	char *parts[4] = {0};
	size_t np = 0;
	for (char *p = copy, *c; np < 4; p = c + 1) {
		parts[np++] = p;
		if (!(c = strchr(p, ':')))
			break;
		*c = '\0';
	}
	int rc = 0;
	if (np < 2 || np > 3 || !*parts[0] || !*parts[1])
		rc = err_set(err,
			     "--volume '%.80s' is not understood: %s (a path holding ':' needs "
			     "--mount)",
			     text, hint);
	else if (np == 3 && strcmp(parts[2], "ro") != 0 && strcmp(parts[2], "rw") != 0)
		rc = err_set(err,
			     "--volume '%.80s': the mode '%.20s' is not known: use ro (read-only) "
			     "or rw, e.g. /data:/data:ro",
			     text, parts[2]);
	if (rc == 0 && parts[0][0] == '/')
		rc = check_path("--volume", "source", parts[0], err);
	else if (rc == 0)
		rc = check_volume_name("--volume", parts[0], err);
	if (rc == 0)
		rc = check_path("--volume", "target", parts[1], err);
	if (rc == 0) {
		m->type = parts[0][0] == '/' ? CTR_BIND : CTR_VOLUME;
		m->readonly = np == 3 && strcmp(parts[2], "ro") == 0;
		m->source = strdup(parts[0]);
		m->target = strdup(parts[1]);
		if (!m->source || !m->target)
			rc = oom(err);
	}
	free(copy);
	if (rc < 0)
		ctr_mount_free(m);
	return rc;
}

int ctr_volume_canon(const char *text, char **out, char **err)
{
	ctr_mount_t m;
	if (ctr_volume_parse(text, &m, err) < 0)
		return -1;
	int rc = asprintf(out, "%s:%s%s", m.source, m.target, m.readonly ? ":ro" : "") < 0
			 ? oom(err)
			 : 0;
	ctr_mount_free(&m);
	return rc;
}

/* ---- --mount ---- */

static int mount_key(ctr_mount_t *m, const char *text, const char *key, const char *val,
		     bool *has_type, char **err)
{
	if (strcmp(key, "type") == 0) {
		if (val && strcmp(val, "bind") == 0)
			m->type = CTR_BIND;
		else if (val && strcmp(val, "volume") == 0)
			m->type = CTR_VOLUME;
		else if (val && strcmp(val, "tmpfs") == 0)
			m->type = CTR_TMPFS;
		else
			return err_set(err,
				       "--mount '%.80s': the type must be bind, volume or tmpfs",
				       text);
		*has_type = true;
		return 0;
	}
	if (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0) {
		bool b = true;
		if (val && !parse_bool(val, &b))
			return err_set(err,
				       "--mount '%.80s': readonly takes true or false (or no "
				       "value, meaning true)",
				       text);
		m->readonly = b;
		return 0;
	}
	if (!val || !*val)
		return err_set(err, "--mount '%.80s': '%.30s' needs a value, e.g. %.30s=/data",
			       text, key, key);
	char **slot = NULL;
	if (strcmp(key, "source") == 0 || strcmp(key, "src") == 0)
		slot = &m->source;
	else if (strcmp(key, "target") == 0 || strcmp(key, "destination") == 0 ||
		 strcmp(key, "dst") == 0)
		slot = &m->target;
	if (slot) {
		free(*slot);
		return (*slot = strdup(val)) ? 0 : oom(err);
	}
	if (strcmp(key, "tmpfs-size") == 0) {
		if (!parse_size(val, &m->tmpfs_size) || m->tmpfs_size <= 0)
			return err_set(err,
				       "--mount '%.80s': tmpfs-size must be a size such as 64m",
				       text);
		return 0;
	}
	if (strcmp(key, "tmpfs-mode") == 0) {
		char *end;
		long mode = strtol(val, &end, 8);
		if (!isdigit((unsigned char)*val) || *end || mode < 0 || mode > 07777)
			return err_set(err,
				       "--mount '%.80s': tmpfs-mode must be octal permission "
				       "bits such as 1777",
				       text);
		m->tmpfs_mode = (int)mode;
		return 0;
	}
	return err_set(err,
		       "--mount '%.80s': unknown key '%.30s': use type, source (src), target "
		       "(dst, destination), readonly (ro), tmpfs-size and tmpfs-mode",
		       text, key);
}

int ctr_mount_parse(const char *text, ctr_mount_t *m, char **err)
{
	memset(m, 0, sizeof(*m));
	m->tmpfs_mode = -1;
	char *copy = strdup(text);
	if (!copy)
		return oom(err);
	bool has_type = false;
	int rc = 0;
	for (char *save = NULL, *f = strtok_r(copy, ",", &save); rc == 0 && f;
	     f = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(f, '=');
		if (eq)
			*eq = '\0';
		rc = mount_key(m, text, f, eq ? eq + 1 : NULL, &has_type, err);
	}
	free(copy);
	if (rc == 0 && !has_type)
		rc = err_set(err,
			     "--mount '%.80s' has no type: write type=bind, type=volume or "
			     "type=tmpfs, e.g. type=bind,source=/data,target=/data,readonly",
			     text);
	if (rc == 0 && !m->target)
		rc = err_set(err, "--mount '%.80s' has no target: add target=/path/in/container",
			     text);
	if (rc == 0)
		rc = check_path("--mount", "target", m->target, err);
	if (rc == 0 && m->type == CTR_BIND && !m->source)
		rc = err_set(err, "--mount '%.80s': a bind mount needs source=/host/path", text);
	if (rc == 0 && m->type == CTR_BIND)
		rc = check_path("--mount", "source", m->source, err);
	if (rc == 0 && m->type == CTR_VOLUME && m->source)
		rc = check_volume_name("--mount", m->source, err);
	if (rc == 0 && m->type == CTR_TMPFS && m->source)
		rc = err_set(err, "--mount '%.80s': a tmpfs mount has no source; remove it", text);
	if (rc == 0 && m->type != CTR_TMPFS && (m->tmpfs_size || m->tmpfs_mode >= 0))
		rc = err_set(err,
			     "--mount '%.80s': tmpfs-size and tmpfs-mode go with type=tmpfs only",
			     text);
	if (rc < 0)
		ctr_mount_free(m);
	return rc;
}

int ctr_mount_canon(const char *text, char **out, char **err)
{
	static const char *const types[] = {"bind", "volume", "tmpfs"};
	ctr_mount_t m;
	if (ctr_mount_parse(text, &m, err) < 0)
		return -1;
	strbuf_t sb = STRBUF_INIT;
	sb_printf(&sb, "type=%s", types[m.type]);
	if (m.source)
		sb_printf(&sb, ",source=%s", m.source);
	sb_printf(&sb, ",target=%s", m.target);
	if (m.readonly)
		sb_puts(&sb, ",readonly");
	if (m.tmpfs_size)
		sb_printf(&sb, ",tmpfs-size=%lld", (long long)m.tmpfs_size);
	if (m.tmpfs_mode >= 0)
		sb_printf(&sb, ",tmpfs-mode=%o", m.tmpfs_mode);
	ctr_mount_free(&m);
	if (!(*out = sb_steal(&sb)))
		return oom(err);
	return 0;
}

/* ---- --tmpfs ---- */

int ctr_tmpfs_split(const char *text, char **path, char **options, char **err)
{
	const char *colon = strchr(text, ':');
	*path = colon ? strndup(text, (size_t)(colon - text)) : strdup(text);
	*options = colon ? strdup(colon + 1) : NULL;
	if (!*path || (colon && !*options)) {
		free(*path);
		free(*options);
		*path = *options = NULL;
		return oom(err);
	}
	return 0;
}

/* One tmpfs option into sb, sizes as bytes; -1 when it is not one. */
static int tmpfs_option(const char *o, strbuf_t *sb)
{
	static const char *const flags[] = {"rw",     "ro",  "exec",  "noexec", "suid",
					    "nosuid", "dev", "nodev", NULL};
	for (size_t i = 0; flags[i]; i++)
		if (strcmp(o, flags[i]) == 0) {
			sb_puts(sb, o);
			return 0;
		}
	int64_t v;
	if (strncmp(o, "size=", 5) == 0 && parse_size(o + 5, &v) && v > 0) {
		sb_printf(sb, "size=%lld", (long long)v);
		return 0;
	}
	if (strncmp(o, "mode=", 5) == 0) {
		char *end;
		long mode = strtol(o + 5, &end, 8);
		if (!isdigit((unsigned char)o[5]) || *end || mode < 0 || mode > 07777)
			return -1;
		sb_printf(sb, "mode=%lo", mode);
		return 0;
	}
	if ((strncmp(o, "uid=", 4) == 0 || strncmp(o, "gid=", 4) == 0) &&
	    parse_int64(o + 4, 0, 4294967294LL, &v)) {
		sb_printf(sb, "%.4s%lld", o, (long long)v);
		return 0;
	}
	return -1;
}

int ctr_tmpfs_canon(const char *text, char **out, char **err)
{
	char *path, *opts;
	if (ctr_tmpfs_split(text, &path, &opts, err) < 0)
		return -1;
	int rc = check_path("--tmpfs", "path", path, err);
	strbuf_t sb = STRBUF_INIT;
	sb_puts(&sb, path);
	if (rc == 0 && opts) {
		sb_putc(&sb, ':');
		bool first = true;
		char *save = NULL;
		for (char *o = strtok_r(opts, ",", &save); rc == 0 && o;
		     o = strtok_r(NULL, ",", &save)) {
			if (!first)
				sb_putc(&sb, ',');
			first = false;
			if (tmpfs_option(o, &sb) < 0)
				rc = err_set(
					err,
					"--tmpfs '%.80s': the option '%.30s' is not known: use "
					"size=SIZE, mode=OCTAL, uid=N, gid=N, ro, rw, noexec, "
					"exec, nosuid, suid, nodev or dev, e.g. /tmp:size=64m",
					text, o);
		}
		if (rc == 0 && first)
			rc = err_set(err,
				     "--tmpfs '%.80s': nothing after ':'; write PATH or "
				     "PATH:OPTIONS, e.g. /tmp:size=64m",
				     text);
	}
	free(path);
	free(opts);
	if (rc == 0 && !(*out = sb_steal(&sb)))
		rc = oom(err);
	sb_free(&sb);
	return rc;
}

/* ---- --user, --hostname, --label, --network, --entrypoint ---- */

/* A uid or gid, or a user or group name as the image's /etc/passwd and
 * /etc/group hold them (the engine resolves names in the container). */
static bool user_part_ok(const char *s, size_t n)
{
	if (n == 0 || n > 32)
		return false;
	bool digits = true;
	for (size_t i = 0; i < n; i++)
		digits = digits && isdigit((unsigned char)s[i]);
	if (digits) {
		char buf[40];
		int64_t v;
		snprintf(buf, sizeof(buf), "%.*s", (int)n, s);
		return parse_int64(buf, 0, 4294967294LL, &v);
	}
	if (!(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || strchr("_.-", s[i])))
			return false;
	return true;
}

int ctr_user_canon(const char *text, char **out, char **err)
{
	const char *colon = strchr(text, ':');
	size_t n1 = colon ? (size_t)(colon - text) : strlen(text);
	if (!user_part_ok(text, n1) || (colon && !user_part_ok(colon + 1, strlen(colon + 1))))
		return err_set(err,
			       "--user '%.80s' is not understood: write UID[:GID] such as 1000 "
			       "or 1000:1000, or a user name of the image such as nobody",
			       text);
	return (*out = strdup(text)) ? 0 : oom(err);
}

int ctr_hostname_canon(const char *text, char **out, char **err)
{
	size_t n = strlen(text);
	bool ok = n >= 1 && n <= 63 && isalnum((unsigned char)text[0]) &&
		  isalnum((unsigned char)text[n - 1]);
	for (size_t i = 0; ok && i < n; i++)
		ok = isalnum((unsigned char)text[i]) || text[i] == '-' || text[i] == '.';
	if (!ok)
		return err_set(err,
			       "--hostname '%.80s' is not a host name: use 1 to 63 letters, "
			       "digits, '-' and '.', starting and ending with a letter or digit",
			       text);
	return (*out = strdup(text)) ? 0 : oom(err);
}

int ctr_label_canon(const char *text, char **out, char **err)
{
	const char *eq = strchr(text, '=');
	if (!eq || eq == text)
		return err_set(err,
			       "--label '%.80s' is not KEY=VALUE: write e.g. --label team=data",
			       text);
	if (strncasecmp(text, "cjobs.", 6) == 0)
		return err_set(err,
			       "--label '%.80s': keys starting with cjobs. are cjobs's own; "
			       "choose another key, e.g. app.%.*s",
			       text, (int)(eq - text - 6 > 40 ? 40 : eq - text - 6), text + 6);
	if (validate_text("--label", text, CTR_LABEL_MAX, err) < 0)
		return -1;
	return (*out = strdup(text)) ? 0 : oom(err);
}

int ctr_network_canon(const char *text, char **out, char **err)
{
	char *why = NULL;
	if (validate_name("network", text, &why) < 0) {
		free(why);
		return err_set(err, "--network '%.80s' is not a network name: use 1 to 64 letters, "
				    "digits, '.', '_' and '-' (none, bridge, host, or a network made "
				    "with docker network create)",
			       text);
	}
	return (*out = strdup(text)) ? 0 : oom(err);
}

int ctr_entrypoint_canon(const char *text, char **out, char **err)
{
	if (!*text)
		return err_set(err, "--entrypoint is empty: give the program to run, e.g. "
				    "--entrypoint /bin/sh");
	if (validate_text("--entrypoint", text, CTR_PATH_MAX, err) < 0)
		return -1;
	return (*out = strdup(text)) ? 0 : oom(err);
}

/* ---- capabilities ---- */

/* Linux's capability names (capability.h), without CAP_. */
static const char *const cap_names[] = {
	"CHOWN",
	"DAC_OVERRIDE",
	"DAC_READ_SEARCH",
	"FOWNER",
	"FSETID",
	"KILL",
	"SETGID",
	"SETUID",
	"SETPCAP",
	"LINUX_IMMUTABLE",
	"NET_BIND_SERVICE",
	"NET_BROADCAST",
	"NET_ADMIN",
	"NET_RAW",
	"IPC_LOCK",
	"IPC_OWNER",
	"SYS_MODULE",
	"SYS_RAWIO",
	"SYS_CHROOT",
	"SYS_PTRACE",
	"SYS_PACCT",
	"SYS_ADMIN",
	"SYS_BOOT",
	"SYS_NICE",
	"SYS_RESOURCE",
	"SYS_TIME",
	"SYS_TTY_CONFIG",
	"MKNOD",
	"LEASE",
	"AUDIT_WRITE",
	"AUDIT_CONTROL",
	"SETFCAP",
	"MAC_OVERRIDE",
	"MAC_ADMIN",
	"SYSLOG",
	"WAKE_ALARM",
	"BLOCK_SUSPEND",
	"AUDIT_READ",
	"PERFMON",
	"BPF",
	"CHECKPOINT_RESTORE",
	NULL,
};

int ctr_cap_canon(const char *option, const char *text, char **out, char **err)
{
	const char *name = strncasecmp(text, "CAP_", 4) == 0 ? text + 4 : text;
	if (strcasecmp(name, "ALL") == 0)
		return (*out = strdup("ALL")) ? 0 : oom(err);
	for (size_t i = 0; cap_names[i]; i++)
		if (strcasecmp(name, cap_names[i]) == 0)
			return (*out = strdup(cap_names[i])) ? 0 : oom(err);
	return err_set(err,
		       "%s: '%.40s' is not a Linux capability: write a name such as "
		       "NET_ADMIN or SYS_PTRACE (with or without CAP_), or ALL",
		       option, text);
}

/* ---- --gpus, --security-opt ---- */

int ctr_gpus_parse(const char *text, ctr_gpus_t *g, char **err)
{
	static const char hint[] = "write all, a number such as 2, or device=ID[,ID] such as "
				   "device=0,1";
	memset(g, 0, sizeof(*g));
	if (strcmp(text, "all") == 0) {
		g->count = -1;
		return 0;
	}
	if (isdigit((unsigned char)text[0])) {
		if (!parse_int64(text, 1, CTR_GPUS_MAX, &g->count))
			return err_set(err, "--gpus '%.40s': a count must be from 1 to %d; %s",
				       text, CTR_GPUS_MAX, hint);
		return 0;
	}
	if (strncmp(text, "device=", 7) != 0 || !text[7])
		return err_set(err, "--gpus '%.80s' is not understood: %s", text, hint);
	char *copy = strdup(text + 7);
	if (!copy)
		return oom(err);
	int rc = 0;
	char *save = NULL;
	for (char *id = strtok_r(copy, ",", &save); rc == 0 && id;
	     id = strtok_r(NULL, ",", &save)) {
		bool ok = strlen(id) <= 128;
		for (const char *p = id; ok && *p; p++)
			ok = isalnum((unsigned char)*p) || strchr("_.:-", *p);
		char **ids = ok ? realloc(g->ids, (g->nids + 2) * sizeof(char *)) : NULL;
		if (!ok)
			rc = err_set(err,
				     "--gpus '%.80s': '%.40s' is not a device id (letters, digits, "
				     "'_', '.', ':' and '-'); %s",
				     text, id, hint);
		else if (!ids)
			rc = oom(err);
		else {
			g->ids = ids;
			if (!(ids[g->nids] = strdup(id)))
				rc = oom(err);
			else
				ids[++g->nids] = NULL;
		}
		if (rc == 0 && g->nids > CTR_GPUS_MAX)
			rc = err_set(err, "--gpus: at most %d device ids", CTR_GPUS_MAX);
	}
	if (rc == 0 && g->nids == 0)
		rc = err_set(err, "--gpus '%.80s' names no device: %s", text, hint);
	free(copy);
	if (rc < 0)
		ctr_gpus_free(g);
	return rc;
}

int ctr_gpus_canon(const char *text, char **out, char **err)
{
	ctr_gpus_t g;
	if (ctr_gpus_parse(text, &g, err) < 0)
		return -1;
	ctr_gpus_free(&g);
	return (*out = strdup(text)) ? 0 : oom(err);
}

int ctr_security_opt_check(const char *text, char **err)
{
	if (strcmp(text, "no-new-privileges") == 0 || strcmp(text, "no-new-privileges:true") == 0 ||
	    strcmp(text, "no-new-privileges=true") == 0)
		return 0;
	return err_set(err,
		       "--security-opt '%.80s' is not accepted: cjobs takes only "
		       "no-new-privileges (seccomp, AppArmor and SELinux profiles are the "
		       "engine's own)",
		       text);
}

int ctr_allow_path_canon(const char *text, char **out, char **err)
{
	if (check_path("--allow-bind", "directory", text, err) < 0)
		return -1;
	return (*out = path_clean(text)) ? 0 : oom(err);
}

/* ---- the whole record ---- */

typedef int (*canon_fn)(const char *text, char **out, char **err);

/* Checks that a stored text is what its parser makes of it. */
static int check_canon(canon_fn fn, const char *text, char **err)
{
	char *c = NULL;
	if (fn(text, &c, err) < 0)
		return -1;
	bool same = strcmp(c, text) == 0;
	free(c);
	return same ? 0 : err_set(err, "container option '%.80s' is not in its stored form", text);
}

static int check_list(const char *option, canon_fn fn, char *const *v, size_t n, char **err)
{
	if (n > CTR_LIST_MAX)
		return err_set(err, "%s is given %zu times; the limit is %d", option, n,
			       CTR_LIST_MAX);
	for (size_t i = 0; i < n; i++)
		if (check_canon(fn, v[i], err) < 0)
			return -1;
	return 0;
}

static int cap_add_canon(const char *t, char **o, char **e)
{
	return ctr_cap_canon("--cap-add", t, o, e);
}

static int cap_drop_canon(const char *t, char **o, char **e)
{
	return ctr_cap_canon("--cap-drop", t, o, e);
}

int container_validate(const job_container_t *c, char **err)
{
	if (check_list("--volume", ctr_volume_canon, c->volumes, c->nvolumes, err) < 0 ||
	    check_list("--mount", ctr_mount_canon, c->mounts, c->nmounts, err) < 0 ||
	    check_list("--tmpfs", ctr_tmpfs_canon, c->tmpfs, c->ntmpfs, err) < 0 ||
	    check_list("--label", ctr_label_canon, c->labels, c->nlabels, err) < 0 ||
	    check_list("--cap-add", cap_add_canon, c->cap_add, c->ncap_add, err) < 0 ||
	    check_list("--cap-drop", cap_drop_canon, c->cap_drop, c->ncap_drop, err) < 0)
		return -1;
	if ((c->user && check_canon(ctr_user_canon, c->user, err) < 0) ||
	    (c->entrypoint && check_canon(ctr_entrypoint_canon, c->entrypoint, err) < 0) ||
	    (c->hostname && check_canon(ctr_hostname_canon, c->hostname, err) < 0) ||
	    (c->network && check_canon(ctr_network_canon, c->network, err) < 0) ||
	    (c->gpus && check_canon(ctr_gpus_canon, c->gpus, err) < 0))
		return -1;
	if ((unsigned)c->pull > CTR_PULL_NEVER)
		return err_set(err, "--pull must be always, missing or never");
	if (c->shm_size && (c->shm_size < CTR_SHM_MIN || c->shm_size > CTR_SHM_MAX))
		return err_set(err, "--shm-size must be from 1m to 1t, e.g. 256m");
	return 0;
}

/* ---- what a host allows ---- */

static int bind_allowed(const char *source, const char *host_name, const host_allow_t *a,
			char **err)
{
	char *clean = path_clean(source);
	if (!clean)
		return oom(err);
	bool ok = false;
	for (size_t i = 0; !ok && i < a->nbind; i++)
		ok = path_under(clean, a->bind[i]);
	int rc = ok ? 0
		    : err_set(err,
			      "host '%s' does not allow bind mounts from %.200s: "
			      "allow it with "
			      "'cjobs host update %s --allow-bind %.200s' (or a "
			      "directory above "
			      "it), or use a named volume",
			      host_name, clean, host_name, clean);
	free(clean);
	return rc;
}

static bool strv_has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

int container_host_allows(const job_container_t *c, const char *host_name, const host_allow_t *a,
			  char **err)
{
	for (size_t i = 0; i < c->nvolumes + c->nmounts; i++) {
		ctr_mount_t m;
		int rc = i < c->nvolumes ? ctr_volume_parse(c->volumes[i], &m, err)
					 : ctr_mount_parse(c->mounts[i - c->nvolumes], &m, err);
		if (rc == 0 && m.type == CTR_BIND)
			rc = bind_allowed(m.source, host_name, a, err);
		ctr_mount_free(&m);
		if (rc < 0)
			return -1;
	}
	bool all = strv_has(a->cap_add, a->ncap_add, "ALL");
	for (size_t i = 0; !all && i < c->ncap_add; i++)
		if (!strv_has(a->cap_add, a->ncap_add, c->cap_add[i]))
			return err_set(err,
				       "host '%s' does not allow adding the capability %s: allow "
				       "it with 'cjobs host update %s --allow-cap-add %s'",
				       host_name, c->cap_add[i], host_name, c->cap_add[i]);
	if (c->gpus && !a->gpus)
		return err_set(err,
			       "host '%s' does not allow GPUs (--gpus): allow them with 'cjobs "
			       "host update %s --allow-gpus yes'",
			       host_name, host_name);
	return 0;
}
