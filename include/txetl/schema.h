/* schema.h - the shard DDL of sql/schema.sql, embedded at build time. */
#ifndef TXETL_SCHEMA_H
#define TXETL_SCHEMA_H

/* The text of sql/schema.sql: statements each ending with ';' at the end of a line. */
extern const char *const tx_schema_sql;

#endif
