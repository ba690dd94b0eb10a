/* version.h - the version and commit printed by --version, --help and the report's footer.
 * CMake defines both for the targets that print them (TX_VERSION_DEFS); a build without them
 * says "dev" / "unknown". Include only where they are printed, so a new commit rebuilds just
 * those files. */
#ifndef TXETL_VERSION_H
#define TXETL_VERSION_H

#ifndef TXETL_VERSION
#define TXETL_VERSION "dev"
#endif
#ifndef TXETL_GIT_SHA
#define TXETL_GIT_SHA "unknown"
#endif

#endif
