/*
 * engine/registry_auth.h: the credentials a pull sends to a private
 * registry, read the way the docker command reads them: a Docker
 * config.json (auths, credsStore, credHelpers) and the credential helpers
 * (docker-credential-NAME) it names.
 *
 * Where they come from, in order: the host's own file (host add/update
 * --registry-auth FILE), when it has an entry or a helper for the
 * registry; else the Docker configuration of the user running the worker
 * ($DOCKER_CONFIG/config.json, else ~/.docker/config.json). Nothing here
 * writes anything anywhere: the credentials live in memory only for the
 * one pull, and no message made here ever holds a secret (a malformed
 * file is described by where it is wrong, never by what it holds).
 */
#ifndef CJOBS_ENGINE_REGISTRY_AUTH_H
#define CJOBS_ENGINE_REGISTRY_AUTH_H

#include <stddef.h>

/* Docker Hub's name in images and its key in config files. */
#define REGISTRY_DOCKER_HUB "docker.io"
#define REGISTRY_DOCKER_HUB_KEY "https://index.docker.io/v1/"

typedef struct {
	char *username;
	char *password;
	char *identitytoken;   /* instead of username/password */
} registry_cred_t;

/* Wipes and frees the strings of c (not c itself). */
void registry_cred_free(registry_cred_t *c);

/* The registry of an image reference, as Docker reads it: the first
 * component of the name when it has a '.' or ':' or is "localhost",
 * otherwise docker.io. Malloc'd; NULL when out of memory. */
char *registry_of_image(const char *image);

/* The server address Docker uses for a registry in its config files and
 * with credential helpers: https://index.docker.io/v1/ for docker.io, the
 * name itself otherwise. Static or the argument; never to be freed. */
const char *registry_server_address(const char *registry);

/* Looks up the credentials for `registry` in a Docker config.json held in
 * text (len bytes), read from `file` (named in messages): credHelpers,
 * then credsStore (run through registry_helper_get), then auths. Returns
 * 1 with *cred filled, 0 when the file has none for that registry
 * (*cred stays empty), -1 with *err naming the file and what is wrong. */
int registry_config_lookup(const char *text, size_t len, const char *file,
			   const char *registry, registry_cred_t *cred, char **err);

/* Checks a whole config.json (each auths entry, helper names) without
 * running any helper: 0, or -1 with *err saying what is wrong. */
int registry_config_check(const char *text, size_t len, const char *file, char **err);

/* Reads a file of at most 1 MiB: 0 with *text (NUL-terminated) and *len,
 * -1 with *err naming the file and the system's reason. */
int registry_file_read(const char *path, char **text, size_t *len, char **err);

/* The user's Docker config file: $DOCKER_CONFIG/config.json, else
 * $HOME/.docker/config.json; NULL when neither variable is set or out of
 * memory. Malloc'd. */
char *registry_user_config_path(void);

/* Runs `docker-credential-NAME get` (found on PATH) with the server
 * address on its standard input, at most 10 s. Returns 1 with *cred, 0
 * when the helper has no credentials for it, -1 with *err (the helper's
 * name and why; its answer is never quoted, it may hold the secret). */
int registry_helper_get(const char *name, const char *server, registry_cred_t *cred,
			char **err);

/* The value of the X-Registry-Auth header for cred and registry: the JSON
 * object {username, password | identitytoken, serveraddress}, base64url
 * encoded. Malloc'd; NULL when out of memory. */
char *registry_auth_header(const registry_cred_t *cred, const char *registry);

/* The whole lookup for a pull of `image`: the host's file (host_file, may
 * be NULL), then the user's config. Returns 0 with *header set (or NULL:
 * no credentials, pull anonymously) and *source describing where they came
 * from (for messages; NULL when none), or -1 with *err. */
int registry_auth_for_image(const char *host_file, const char *image, char **header,
			    char **source, char **err);

#endif
