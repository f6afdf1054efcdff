/*
 * core/container.h: the container options of a job (mounts, user,
 * entrypoint, hostname, labels, network, pull policy, read-only root,
 * tmpfs, /dev/shm, init, capabilities, no-new-privileges, GPUs), what a
 * host allows of them, and their one text form.
 *
 * Every option is parsed here from what a person types into a canonical
 * text, so that the command line, `--file` lines and the API's JSON meet
 * the same rules and a stored job reads back the same. The engine layer
 * parses the canonical texts again with the same functions to build its
 * create body. Nothing here does I/O: a bind mount's source is judged by
 * its path alone (`..` resolved, components compared), never by looking
 * at a file system, which may be another machine's.
 */
#ifndef CJOBS_CORE_CONTAINER_H
#define CJOBS_CORE_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CTR_LIST_MAX  100 /* entries of one list option */
#define CTR_PATH_MAX  4096
#define CTR_LABEL_MAX 4096        /* bytes of one KEY=VALUE label */
#define CTR_SHM_MIN   (1LL << 20) /* 1m */
#define CTR_SHM_MAX   (1LL << 40) /* 1t */
#define CTR_GPUS_MAX  1024

typedef enum { CTR_BIND, CTR_VOLUME, CTR_TMPFS } ctr_mount_type_t;

/* One mount, as --volume or --mount describe it. */
typedef struct {
	ctr_mount_type_t type;
	char *source; /* bind: absolute host path; volume: name or NULL */
	char *target; /* absolute path in the container */
	bool readonly;
	int64_t tmpfs_size; /* bytes; 0: the engine's default */
	int tmpfs_mode;     /* permission bits; -1: the engine's default */
} ctr_mount_t;

/* The GPUs a job asks for (--gpus). */
typedef struct {
	int64_t count; /* -1: all; 0: by ids; else how many */
	char **ids;    /* device=ID,ID: NULL-terminated, NULL otherwise */
	size_t nids;
} ctr_gpus_t;

typedef enum { CTR_PULL_HOST = 0, CTR_PULL_ALWAYS, CTR_PULL_MISSING, CTR_PULL_NEVER } ctr_pull_t;

/* A job's container options; all zero (and NULL) is "none given". Lists
 * are NULL-terminated with their counts; texts are canonical. */
typedef struct {
	char **volumes; /* SRC:DST[:ro] */
	size_t nvolumes;
	char **mounts; /* type=...,source=...,target=...[,readonly]... */
	size_t nmounts;
	char **tmpfs; /* PATH[:OPTIONS] */
	size_t ntmpfs;
	char *user; /* UID[:GID] or NAME[:GROUP] */
	char *entrypoint;
	char *hostname;
	char **labels; /* KEY=VALUE, never a cjobs. key */
	size_t nlabels;
	char *network; /* NULL: the host's network mode */
	ctr_pull_t pull;
	bool read_only;
	int64_t shm_size; /* bytes; 0: the engine's default */
	bool init;
	char **cap_add; /* capability names without CAP_, or ALL */
	size_t ncap_add;
	char **cap_drop;
	size_t ncap_drop;
	bool no_new_privileges;
	char *gpus; /* all, N or device=ID[,ID]; NULL: none */
} job_container_t;

/* What a host lets its jobs have beyond the defaults. */
typedef struct {
	char **bind; /* directories bind mounts may come from */
	size_t nbind;
	char **cap_add; /* capabilities jobs may add, or ALL */
	size_t ncap_add;
	bool gpus; /* jobs may ask for GPUs */
} host_allow_t;

extern const char *const ctr_pull_names[];   /* "host", "always", "missing", "never" */
extern const char *const ctr_pull_choices[]; /* the three a person may write */

void container_free(job_container_t *c);
void host_allow_free(host_allow_t *a);
void ctr_mount_free(ctr_mount_t *m);
void ctr_gpus_free(ctr_gpus_t *g);
bool container_is_empty(const job_container_t *c);

/* Each parser takes what a person wrote and returns its canonical text
 * (malloc'd) in *out; the error names the option and what to write. */
int ctr_volume_canon(const char *text, char **out, char **err);
int ctr_mount_canon(const char *text, char **out, char **err);
int ctr_tmpfs_canon(const char *text, char **out, char **err);
int ctr_user_canon(const char *text, char **out, char **err);
int ctr_hostname_canon(const char *text, char **out, char **err);
int ctr_label_canon(const char *text, char **out, char **err);
int ctr_network_canon(const char *text, char **out, char **err);
int ctr_entrypoint_canon(const char *text, char **out, char **err);
/* A capability name (chown, CAP_CHOWN, ALL) as CHOWN. */
int ctr_cap_canon(const char *option, const char *text, char **out, char **err);
int ctr_gpus_canon(const char *text, char **out, char **err);
/* Only no-new-privileges (:true, =true) is accepted. */
int ctr_security_opt_check(const char *text, char **err);
/* A directory for --allow-bind: absolute, with . and .. resolved. */
int ctr_allow_path_canon(const char *text, char **out, char **err);

/* Reads a canonical --volume or --mount text into *m. */
int ctr_volume_parse(const char *text, ctr_mount_t *m, char **err);
int ctr_mount_parse(const char *text, ctr_mount_t *m, char **err);
/* Splits a canonical --tmpfs text into its path and options (NULL: none). */
int ctr_tmpfs_split(const char *text, char **path, char **options, char **err);
int ctr_gpus_parse(const char *text, ctr_gpus_t *g, char **err);

/* Checks a whole record (each text canonical, counts within limits). */
int container_validate(const job_container_t *c, char **err);
/* Whether host `host_name`, allowing `a`, lets a job have `c`; the error
 * says which host setting to change. */
int container_host_allows(const job_container_t *c, const char *host_name, const host_allow_t *a,
			  char **err);

/* The stored text form: a JSON object of the options given, or NULL
 * (nothing to store) when none is. */
int container_to_json(const job_container_t *c, char **out, char **err);
int container_from_json(const char *text, job_container_t *c, char **err);
int host_allow_to_json(const host_allow_t *a, char **out, char **err);
int host_allow_from_json(const char *text, host_allow_t *a, char **err);
/* The options given, as a JSON object (the stored form). */
json_t *container_json(const job_container_t *c);

#endif
