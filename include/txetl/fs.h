/* fs.h - file-system helpers shared by the snapshot writer and the CSV export. */
#ifndef TXETL_FS_H
#define TXETL_FS_H

/* Local. `mkdir -p dir` (mode 0777 before umask): creates dir and any missing parents. Returns
 * 0, or -1 with errno set (ENAMETOOLONG for an empty or over-long path, ENOTDIR when dir
 * exists and is not a directory). */
int tx_mkdir_p(const char *dir);

#endif
