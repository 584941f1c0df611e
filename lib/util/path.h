/* path.h — path strings: making a user's path absolute, joining a
 * directory's path with an entry name, and where a path stands to another. */
#ifndef HF_UTIL_PATH_H
#define HF_UTIL_PATH_H

/* Normalises a user-supplied path into an absolute one without ".", ".."
 * or duplicate slashes (symlinks are not resolved). Returns a malloc'd string. */
int hf_path_absolute(const char *path, char **out);
/* "dir/name" in a new string; dir "" gives "/name" (the snapshot root) */
char *hf_path_join(const char *dir, const char *name);
/* where path stands to prefix (NULL or "/": everything is under it): 1 at
 * or under it, 2 above it (a directory on the way), 0 elsewhere */
int hf_path_relation(const char *path, const char *prefix);

#endif
