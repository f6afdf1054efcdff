/*
 * engine/registry_auth.c: reading a Docker config.json for a registry's
 * credentials, and making the X-Registry-Auth header a pull sends.
 *
 * Every message made here names the file and the place that is wrong
 * (the top level, an auths entry by its registry key, a helper name),
 * never a value: the values are secrets. jansson's own error text is not
 * used for that reason (it quotes the text near the error).
 */
#include "engine/registry_auth.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"

#define CONFIG_MAX (1u << 20)

/* Frees a string that held a secret, wiping it first. */
static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void registry_cred_free(registry_cred_t *c)
{
	if (!c)
		return;
	free_secret(c->username);
	free_secret(c->password);
	free_secret(c->identitytoken);
	c->username = c->password = c->identitytoken = NULL;
}

static bool is_hub(const char *name, size_t n)
{
	static const char *const hub[] = {"docker.io", "index.docker.io", "registry-1.docker.io",
					  NULL};
	for (const char *const *h = hub; *h; h++)
		if (strlen(*h) == n && strncmp(name, *h, n) == 0)
			return true;
	return false;
}

char *registry_of_image(const char *image)
{
	const char *slash = image ? strchr(image, '/') : NULL;
	if (!slash)
		return strdup(REGISTRY_DOCKER_HUB);
	size_t n = (size_t)(slash - image);
	bool registry = memchr(image, '.', n) || memchr(image, ':', n) ||
			(n == 9 && strncmp(image, "localhost", 9) == 0);
	if (!registry || is_hub(image, n))
		return strdup(REGISTRY_DOCKER_HUB);
	return strndup(image, n);
}

const char *registry_server_address(const char *registry)
{
	return strcmp(registry, REGISTRY_DOCKER_HUB) == 0 ? REGISTRY_DOCKER_HUB_KEY : registry;
}

/* Whether a config key ("https://host:port/v1/", "host:port") names the
 * registry; exact: only the key as Docker itself writes it. */
static bool key_matches(const char *key, const char *registry, bool exact)
{
	if (exact)
		return strcmp(key, registry_server_address(registry)) == 0;
	if (strncmp(key, "https://", 8) == 0)
		key += 8;
	else if (strncmp(key, "http://", 7) == 0)
		key += 7;
	size_t n = strcspn(key, "/");
	if (strcmp(registry, REGISTRY_DOCKER_HUB) == 0)
		return is_hub(key, n);
	return strlen(registry) == n && strncmp(key, registry, n) == 0;
}

/* The value of the first key of object o that names the registry (the
 * key as Docker writes it before any other form); *found_key is that key. */
static json_t *find_entry(json_t *o, const char *registry, const char **found_key)
{
	const char *key;
	json_t *v;
	for (int exact = 1; exact >= 0; exact--)
		json_object_foreach(o, key, v)
			if (key_matches(key, registry, exact)) {
				*found_key = key;
				return v;
			}
	return NULL;
}

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Standard or URL-safe base64, padded or not, into a NUL-terminated
 * string; NULL when it is not base64 (or out of memory: *oom). */
static char *b64_decode(const char *in, bool *oom)
{
	size_t n = strlen(in);
	while (n > 0 && in[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return NULL;
	char *out = malloc(n / 4 * 3 + 3);
	if (!out) {
		*oom = true;
		return NULL;
	}
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)in[i]);
		if (v < 0) {
			explicit_bzero(out, o);
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	if (memchr(out, '\0', o)) {
		explicit_bzero(out, o);
		free(out);
		return NULL;
	}
	return out;
}

static char *b64url_encode(const char *in, size_t n)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = malloc((n + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = i + 1 < n ? abc[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? abc[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

/* A string member, or NULL; a member of another type is an error. */
static int opt_string(json_t *o, const char *member, const char **out)
{
	json_t *v = json_object_get(o, member);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

/* The header is JSON, which holds only UTF-8 text. */
static bool utf8_ok(const char *s)
{
	json_t *j = json_string(s);
	json_decref(j);
	return j != NULL;
}

static int set_copy(char **field, const char *value)
{
	return value && *value && !(*field = strdup(value)) ? -1 : 0;
}

/* One auths entry into *cred (which may be NULL: check only). 1 when it
 * holds credentials, 0 when it is empty (a helper keeps them), -1. */
static int auth_entry(json_t *e, const char *file, const char *key, registry_cred_t *cred,
		      char **err)
{
	if (!json_is_object(e))
		return err_set(err, "registry credentials file %s: the auths entry \"%.100s\" is "
				    "not an object; write {\"auth\": \"<base64 of USER:PASSWORD>\"}",
			       file, key);
	const char *auth, *user, *pass, *token;
	const char *bad = opt_string(e, "auth", &auth) < 0		? "auth"
			  : opt_string(e, "username", &user) < 0	? "username"
			  : opt_string(e, "password", &pass) < 0	? "password"
			  : opt_string(e, "identitytoken", &token) < 0 ? "identitytoken"
									: NULL;
	if (bad)
		return err_set(err, "registry credentials file %s: \"%s\" of the auths entry "
				    "\"%.100s\" is not a string",
			       file, bad, key);
	registry_cred_t c = {0};
	bool oom = false;
	if (auth && *auth) {
		char *plain = b64_decode(auth, &oom);
		char *colon = plain && utf8_ok(plain) ? strchr(plain, ':') : NULL;
		if (!colon) {
			free_secret(plain);
			if (oom)
				return err_set(err, "out of memory");
			return err_set(err, "registry credentials file %s: \"auth\" of the auths "
					    "entry \"%.100s\" is not the base64 of USER:PASSWORD (UTF-8 "
					    "text)",
				       file, key);
		}
		*colon = '\0';
		oom = set_copy(&c.username, plain) < 0 || set_copy(&c.password, colon + 1) < 0;
		*colon = ':';
		free_secret(plain);
	} else {
		oom = set_copy(&c.username, user) < 0 || set_copy(&c.password, pass) < 0;
	}
	if (!oom)
		oom = set_copy(&c.identitytoken, token) < 0;
	if (oom) {
		registry_cred_free(&c);
		return err_set(err, "out of memory");
	}
	bool any = c.identitytoken || c.username || c.password;
	if (cred && any)
		*cred = c;
	else
		registry_cred_free(&c);
	return any ? 1 : 0;
}

/* A helper name runs as the program docker-credential-NAME: nothing that
 * could make it another path. */
static bool helper_name_ok(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

static int check_helper(json_t *v, const char *file, const char *where, const char *key,
			char **err)
{
	if (json_is_string(v) && helper_name_ok(json_string_value(v)))
		return 0;
	return err_set(err, "registry credentials file %s: %s%s%.100s%s is not a credential "
			    "helper name (letters, digits, '.', '_', '-'; \"pass\" runs "
			    "docker-credential-pass)",
		       file, where, key ? " entry \"" : "", key ? key : "", key ? "\"" : "");
}

static json_t *parse(const char *text, size_t len, const char *file, char **err)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		err_set(err, "registry credentials file %s is not valid JSON (line %d, column %d); "
			     "it must be a Docker config.json such as 'docker login' writes",
			file, je.line, je.column);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		err_set(err, "registry credentials file %s: the top level is not a JSON object; "
			     "it must be a Docker config.json such as 'docker login' writes",
			file);
		return NULL;
	}
	return root;
}

static int check_root(json_t *root, const char *file, char **err)
{
	json_t *auths = json_object_get(root, "auths");
	json_t *helpers = json_object_get(root, "credHelpers");
	json_t *store = json_object_get(root, "credsStore");
	if (auths && !json_is_object(auths))
		return err_set(err, "registry credentials file %s: \"auths\" is not an object; "
				    "write {\"auths\": {\"REGISTRY\": {\"auth\": \"...\"}}}",
			       file);
	if (helpers && !json_is_object(helpers))
		return err_set(err, "registry credentials file %s: \"credHelpers\" is not an "
				    "object; write {\"credHelpers\": {\"REGISTRY\": \"HELPER\"}}",
			       file);
	if (store && check_helper(store, file, "\"credsStore\"", NULL, err) < 0)
		return -1;
	const char *key;
	json_t *v;
	json_object_foreach(helpers, key, v)
		if (check_helper(v, file, "the credHelpers", key, err) < 0)
			return -1;
	json_object_foreach(auths, key, v)
		if (auth_entry(v, file, key, NULL, err) < 0)
			return -1;
	return 0;
}

int registry_config_check(const char *text, size_t len, const char *file, char **err)
{
	json_t *root = parse(text, len, file, err);
	if (!root)
		return -1;
	int rc = check_root(root, file, err);
	json_decref(root);
	return rc;
}

/* Asks helper `name` for the registry; its failure names the file too. */
static int ask_helper(const char *name, const char *file, const char *registry,
		      registry_cred_t *cred, char **err)
{
	int rc = registry_helper_get(name, registry_server_address(registry), cred, err);
	if (rc < 0)
		err_prefix(err, "registry credentials file %s", file);
	return rc;
}

int registry_config_lookup(const char *text, size_t len, const char *file,
			   const char *registry, registry_cred_t *cred, char **err)
{
	json_t *root = parse(text, len, file, err);
	if (!root)
		return -1;
	int rc = check_root(root, file, err);
	const char *key = NULL;
	json_t *helper = find_entry(json_object_get(root, "credHelpers"), registry, &key);
	if (!helper)
		helper = json_object_get(root, "credsStore");
	if (rc == 0 && helper)
		rc = ask_helper(json_string_value(helper), file, registry, cred, err);
	json_t *entry = find_entry(json_object_get(root, "auths"), registry, &key);
	if (rc == 0 && entry)
		rc = auth_entry(entry, file, key, cred, err);
	json_decref(root);
	return rc;
}

int registry_file_read(const char *path, char **text, size_t *len, char **err)
{
	*text = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return err_set(err, "cannot read registry credentials file %s: %s", path,
			       strerror(e));
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)CONFIG_MAX) {
		close(fd);
		return err_set(err, "registry credentials file %s is %s; give a Docker config.json",
			       path, S_ISREG(st.st_mode) ? "larger than 1 MiB" : "not a regular file");
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			explicit_bzero(buf, got);
			free(buf);
			close(fd);
			return err_set(err, "cannot read registry credentials file %s: %s", path,
				       strerror(e));
		}
		got += (size_t)n;
	}
	close(fd);
	if (!buf)
		return err_set(err, "out of memory");
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return 0;
}

char *registry_user_config_path(void)
{
	const char *dir = getenv("DOCKER_CONFIG");
	char *path = NULL;
	int n;
	if (dir && *dir)
		n = asprintf(&path, "%s/config.json", dir);
	else if ((dir = getenv("HOME")) && *dir)
		n = asprintf(&path, "%s/.docker/config.json", dir);
	else
		return NULL;
	return n < 0 ? NULL : path;
}

char *registry_auth_header(const registry_cred_t *cred, const char *registry)
{
	json_t *o = cred->identitytoken
			    ? json_pack("{s:s, s:s}", "identitytoken", cred->identitytoken,
					"serveraddress", registry_server_address(registry))
			    : json_pack("{s:s, s:s, s:s}", "username",
					cred->username ? cred->username : "", "password",
					cred->password ? cred->password : "", "serveraddress",
					registry_server_address(registry));
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	char *out = text ? b64url_encode(text, strlen(text)) : NULL;
	free_secret(text);
	return out;
}

/* Looks in one file; a missing user config is no error (no credentials). */
static int lookup_file(const char *path, bool missing_ok, const char *registry,
		       registry_cred_t *cred, char **err)
{
	char *text = NULL;
	size_t len = 0;
	if (missing_ok && access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	if (registry_file_read(path, &text, &len, err) < 0)
		return -1;
	int rc = registry_config_lookup(text, len, path, registry, cred, err);
	explicit_bzero(text, len);
	free(text);
	return rc;
}

int registry_auth_for_image(const char *host_file, const char *image, char **header,
			    char **source, char **err)
{
	*header = NULL;
	*source = NULL;
	char *registry = registry_of_image(image);
	char *user = registry_user_config_path();
	if (!registry) {
		free(user);
		return err_set(err, "out of memory");
	}
	registry_cred_t cred = {0};
	int rc = 0;
	if (host_file && *host_file) {
		rc = lookup_file(host_file, false, registry, &cred, err);
		if (rc == 1 && asprintf(source, "the host's --registry-auth file %s", host_file) < 0)
			*source = NULL;
	}
	if (rc == 0 && user) {
		rc = lookup_file(user, true, registry, &cred, err);
		if (rc == 1 && asprintf(source, "%s (the Docker configuration of the worker's user)",
					user) < 0)
			*source = NULL;
	}
	if (rc == 1) {
		*header = registry_auth_header(&cred, registry);
		rc = *header && *source ? 0 : err_set(err, "out of memory");
		if (rc < 0) {
			free_secret(*header);
			free(*source);
			*header = *source = NULL;
		}
	}
	registry_cred_free(&cred);
	free(registry);
	free(user);
	return rc < 0 ? -1 : 0;
}
