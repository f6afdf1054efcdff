/*
 * http/web/assets.h: the dashboard's files, compiled into the program.
 *
 * web_assets[] is generated at build time by scripts/embed-assets from the
 * files in src/http/web/: index.html as "/index.html", every other file as
 * "/assets/NAME", sorted by path, ended by an entry whose path is NULL. The
 * server maps "/" to "/index.html". Nothing here reads the file system at
 * run time, so the dashboard needs no installed files and no network.
 */
#ifndef CJOBS_HTTP_WEB_ASSETS_H
#define CJOBS_HTTP_WEB_ASSETS_H

#include <stddef.h>

typedef struct {
	const char *path;          /* "/index.html", "/assets/app.js", ... */
	const char *content_type;  /* with charset=utf-8 for text */
	const unsigned char *data; /* not NUL-terminated */
	size_t size;
} web_asset_t;

extern const web_asset_t web_assets[]; /* terminated by path NULL */

/* The asset served at exactly `path`, or NULL. No normalisation: "..",
 * "//", a query string or a missing leading "/" simply match nothing. */
const web_asset_t *web_asset_find(const char *path);

#endif
