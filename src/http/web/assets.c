/*
 * http/web/assets.c: finding one of the dashboard's compiled-in files by
 * its path.
 *
 * Must never: touch the file system, or match anything but a whole path
 * exactly (the path comes from the request line; see assets.h).
 */
#include "http/web/assets.h"

#include <string.h>

const web_asset_t *web_asset_find(const char *path)
{
	if (path == NULL)
		return NULL;
	/* A handful of entries: a linear search is as fast as any, and does
	 * not depend on the generator's order. */
	for (const web_asset_t *a = web_assets; a->path != NULL; a++) {
		if (strcmp(a->path, path) == 0)
			return a;
	}
	return NULL;
}
