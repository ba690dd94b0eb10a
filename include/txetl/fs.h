/* fs.h - file-system helpers shared by the snapshot writer, the CSV export, the report and the
 * rejects file. */
#ifndef TXETL_FS_H
#define TXETL_FS_H

/* Local. `mkdir -p dir` (mode 0777 before umask): creates dir and any missing parents. Returns
 * 0, or -1 with errno set (ENAMETOOLONG for an empty or over-long path, ENOTDIR when dir
 * exists and is not a directory). */
int tx_mkdir_p(const char *dir);

/* Local. What writing `path` as "a temporary file beside it, then rename" would do to what is
 * there: 0 = nothing wrong (absent, or a regular file), 1 = it is /dev/null (write to it
 * directly or not at all: a rename would replace the device with a regular file), -1 = another
 * existing non-regular file (refuse it). */
int tx_fs_rename_target(const char *path);

#endif
