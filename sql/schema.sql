-- txetl shard schema. One copy per shard, in the database named by the shard's option group
-- (default Customer). A load runs this on every shard it writes, at its start (statements are
-- idempotent), after checking that every existing table has the columns written here; status
-- and snapshot only read and create nothing. It also runs with the mariadb/mysql client:
--   mariadb --defaults-file=shards.cnf --defaults-group-suffix=... < sql/schema.sql
-- Statements end with ';' at the end of a line.

-- The transactions of the dates this shard owns. Partitions: one per calendar month present
-- (p<YYYYMM>), created on demand by splitting the gap partitions (g<YYYYMMDD>, empty) that
-- cover the months not present yet. The primary key's prefix finds a transaction_id.
CREATE TABLE IF NOT EXISTS TransactionsOptimized (
  transaction_id       BIGINT UNSIGNED NOT NULL,
  customer_id          BIGINT UNSIGNED NOT NULL,
  transaction_date     DATE            NOT NULL,
  transaction_amount   DECIMAL(14,2)   NOT NULL,
  transaction_category VARCHAR(64)     NOT NULL DEFAULT '',
  payment_method       VARCHAR(32)     NOT NULL DEFAULT '',
  currency             CHAR(3)         NOT NULL DEFAULT 'USD',
  last_updated         DATETIME(6)     NOT NULL,
  PRIMARY KEY (transaction_id, transaction_date),
  KEY idx_customer_date (customer_id, transaction_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  PARTITION BY RANGE COLUMNS(transaction_date) (PARTITION gmin VALUES LESS THAN (MAXVALUE));

-- One row per counted insert (with --audit-inserts), update, move and delete, across all
-- shards: it is written by the shard that holds the transaction's directory entry. An
-- audit_log of an older txetl without the payment_method/currency columns gets them at the
-- start of a run (ALTER TABLE ... ADD COLUMN, NULL in the rows it already holds).
CREATE TABLE IF NOT EXISTS audit_log (
  audit_id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  run_id           VARCHAR(64)     NOT NULL,
  transaction_id   BIGINT UNSIGNED NOT NULL,
  action           ENUM('insert','update','move','delete') NOT NULL,
  old_date         DATE            NULL,
  new_date         DATE            NULL,
  old_amount       DECIMAL(14,2)   NULL,
  new_amount       DECIMAL(14,2)   NULL,
  old_category     VARCHAR(64)     NULL,
  new_category     VARCHAR(64)     NULL,
  old_payment_method VARCHAR(32)   NULL,
  new_payment_method VARCHAR(32)   NULL,
  old_currency     CHAR(3)         NULL,
  new_currency     CHAR(3)         NULL,
  old_last_updated DATETIME(6)     NULL,
  new_last_updated DATETIME(6)     NULL,
  applied_at       DATETIME(6)     NOT NULL,
  KEY idx_audit_run (run_id),
  KEY idx_audit_txn (transaction_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per run, in every shard, with the run's global counts (docs/load.md).
CREATE TABLE IF NOT EXISTS etl_runs (
  run_id          VARCHAR(64)     NOT NULL PRIMARY KEY,
  started_at      DATETIME(6)     NOT NULL,
  finished_at     DATETIME(6)     NULL,
  status          ENUM('running','succeeded','failed') NOT NULL,
  ranks           INT             NOT NULL,
  shards          INT             NOT NULL,
  input_files     TEXT            NOT NULL,
  rows_read       BIGINT UNSIGNED NOT NULL DEFAULT 0,
  rows_rejected   BIGINT UNSIGNED NOT NULL DEFAULT 0,
  rows_inserted   BIGINT UNSIGNED NOT NULL DEFAULT 0,
  rows_updated    BIGINT UNSIGNED NOT NULL DEFAULT 0,
  rows_moved      BIGINT UNSIGNED NOT NULL DEFAULT 0,
  rows_deleted    BIGINT UNSIGNED NOT NULL DEFAULT 0,
  rows_stale      BIGINT UNSIGNED NOT NULL DEFAULT 0,
  rows_superseded BIGINT UNSIGNED NOT NULL DEFAULT 0,
  message         TEXT            NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Per (date, currency) held by this shard: revenue (the sum of the amounts in that currency;
-- amounts in different currencies are never added together), transactions, distinct
-- customers. Recomputed from scratch after a backfill; changed by state-measured deltas per
-- (date, currency) in an incremental run. A table of an older txetl keyed by date alone is
-- rebuilt from TransactionsOptimized at prepare (src/store/store_revenue.c).
CREATE TABLE IF NOT EXISTS revenue_daily (
  transaction_date DATE            NOT NULL,
  currency         CHAR(3)         NOT NULL,
  revenue          DECIMAL(20,2)   NOT NULL,
  transactions     BIGINT UNSIGNED NOT NULL,
  customers        BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (transaction_date, currency)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Date ownership, identical in every shard, written once at the first load: shard i holds
-- dates in [lower_date, upper_date) (NULL = unbounded).
CREATE TABLE IF NOT EXISTS shard_map (
  shard_index INT         NOT NULL PRIMARY KEY,
  shard_count INT         NOT NULL,
  lower_date  DATE        NULL,
  upper_date  DATE        NULL,
  created_run VARCHAR(64) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Small facts of this shard's state: 'revenue_dirty' = 1 while a backfill that recomputes
-- revenue_daily at its end is under way (a run that finds it set recomputes revenue_daily);
-- 'directory_format' = the encoding of txn_directory.data (written while the directory is
-- empty; a non-empty directory of another format, or of none recorded, is refused).
CREATE TABLE IF NOT EXISTS shard_state (
  name  VARCHAR(64)     NOT NULL PRIMARY KEY,
  value BIGINT          NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The version directory: for each transaction_id whose directory home is this shard
-- (a hash of its block), the current version: where it lives (date), its last_updated,
-- whether it is deleted (a tombstone), and the values the audit log needs. Deciding a version
-- costs a primary-key look-up here, never a scan of TransactionsOptimized. Kept in blocks of
-- 16 consecutive ids (block = transaction_id DIV 16), one row per block: a backfill writes a
-- row per 16 transactions instead of one per transaction. `data` holds the block's entries in
-- id order, each "OFF,DAYS,LU_US,DELETED,CENTS,CUR,LEN:CATEGORY,LEN:PAYMENT" (directory format
-- 2): OFF = transaction_id - 16 * block, DAYS = transaction_date as days since 1970-01-01,
-- LU_US = last_updated as microseconds since 1970-01-01T00:00:00 UTC, DELETED = 1 for a
-- tombstone, CENTS = the amount in cents, CUR = the currency, then LEN bytes of category and
-- LEN bytes of payment_method. The entry is the whole stored row but customer_id, so a change
-- file without some optional columns can keep their stored values (also when it moves the
-- transaction to another shard).
CREATE TABLE IF NOT EXISTS txn_directory (
  block            BIGINT UNSIGNED   NOT NULL PRIMARY KEY,
  entries          SMALLINT UNSIGNED NOT NULL,
  tombstones       SMALLINT UNSIGNED NOT NULL,
  data             TEXT              NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Per-run working tables (emptied at the start of each run; the run lock keeps one run at a
-- time). Rows of an incremental run, applied in one transaction at its end: the rows to store
-- in this shard ...
CREATE TABLE IF NOT EXISTS stage_apply (
  transaction_id       BIGINT UNSIGNED NOT NULL,
  customer_id          BIGINT UNSIGNED NOT NULL,
  transaction_date     DATE            NOT NULL,
  transaction_amount   DECIMAL(14,2)   NOT NULL,
  transaction_category VARCHAR(64)     NOT NULL,
  payment_method       VARCHAR(32)     NOT NULL,
  currency             CHAR(3)         NOT NULL,
  last_updated         DATETIME(6)     NOT NULL,
  PRIMARY KEY (transaction_id, transaction_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- ... the (date, currency, customer) triples those rows and the removals touch, with whether
-- the customer had a transaction in that currency that day before and after (for
-- revenue_daily's distinct customers) ...
CREATE TABLE IF NOT EXISTS stage_pairs (
  transaction_date DATE            NOT NULL,
  currency         CHAR(3)         NOT NULL,
  customer_id      BIGINT UNSIGNED NOT NULL,
  had_before       TINYINT         NOT NULL DEFAULT 0,
  has_after        TINYINT         NOT NULL DEFAULT 0,
  PRIMARY KEY (transaction_date, currency, customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- ... the revenue and transaction deltas per (date, currency) ...
CREATE TABLE IF NOT EXISTS stage_revenue (
  transaction_date DATE          NOT NULL,
  currency         CHAR(3)       NOT NULL,
  revenue          DECIMAL(20,2) NOT NULL,
  transactions     BIGINT        NOT NULL,
  KEY (transaction_date, currency)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- ... and the stored copies to remove from this shard (moved away or deleted).
CREATE TABLE IF NOT EXISTS stage_remove (
  transaction_id   BIGINT UNSIGNED NOT NULL,
  transaction_date DATE            NOT NULL,
  PRIMARY KEY (transaction_id, transaction_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The directory blocks and audit rows of this shard's part of the run, staged like the rows
-- above and copied into txn_directory and audit_log by the shard's apply transaction ...
CREATE TABLE IF NOT EXISTS stage_dir (
  block            BIGINT UNSIGNED   NOT NULL PRIMARY KEY,
  entries          SMALLINT UNSIGNED NOT NULL,
  tombstones       SMALLINT UNSIGNED NOT NULL,
  data             TEXT              NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS stage_audit (
  seq              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  run_id           VARCHAR(64)     NOT NULL,
  transaction_id   BIGINT UNSIGNED NOT NULL,
  action           ENUM('insert','update','move','delete') NOT NULL,
  old_date         DATE            NULL,
  new_date         DATE            NULL,
  old_amount       DECIMAL(14,2)   NULL,
  new_amount       DECIMAL(14,2)   NULL,
  old_category     VARCHAR(64)     NULL,
  new_category     VARCHAR(64)     NULL,
  old_payment_method VARCHAR(32)   NULL,
  new_payment_method VARCHAR(32)   NULL,
  old_currency     CHAR(3)         NULL,
  new_currency     CHAR(3)         NULL,
  old_last_updated DATETIME(6)     NULL,
  new_last_updated DATETIME(6)     NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- ... and the run's intent journal (docs/load.md "A failed run"): one row per run that began
-- writing to this shard. 'open' before the shard's first row (backfill = 1: rows go straight
-- into an empty TransactionsOptimized), 'staged' once everything the shard applies for the run
-- is in the stage_* tables (committed before any shard applies), 'applied' in the shard's
-- apply transaction, 'undone' when a later command undid it. A run that some shard still
-- holds as 'open' or 'staged' did not finish: the next command completes it when every shard
-- has it staged (or applied), else undoes it, and records which in resolved_by and etl_runs.
CREATE TABLE IF NOT EXISTS run_journal (
  run_id      VARCHAR(64) NOT NULL PRIMARY KEY,
  backfill    TINYINT     NOT NULL,
  state       ENUM('open','staged','applied','undone') NOT NULL,
  opened_at   DATETIME(6) NOT NULL,
  changed_at  DATETIME(6) NOT NULL,
  resolved_by VARCHAR(80) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The cluster's identity as this shard recorded it at the first load (one row): the cluster id
-- (32 random hex digits chosen once per cluster), this shard's index and the shard count. Every
-- command checks, before it writes anything, that group [shard<i>] of the shard file reaches
-- the shard that recorded index i of one cluster (swapped groups, two groups reaching one
-- database, a shard of another cluster are refused). A shard without a row (a first load that
-- died before recording it, a cluster of an older txetl) gets it at the next load.
CREATE TABLE IF NOT EXISTS cluster_identity (
  one_row     TINYINT     NOT NULL DEFAULT 1 PRIMARY KEY,
  cluster_id  CHAR(32)    NOT NULL,
  shard_index INT         NOT NULL,
  shard_count INT         NOT NULL,
  created_run VARCHAR(64) NOT NULL,
  created_at  DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The journal of an unfinished `txetl reshard` (docs/reshard.md), one row, written first in
-- every shard of the new shard file (old and new) and deleted from all of them at its end:
-- the cluster grows from from_count to to_count shards with the inner date boundaries
-- `boundaries` (to_count - 1 dates YYYY-MM-DD, comma-separated; shard i of the new map holds
-- [boundary i-1, boundary i)). phase: 'moving' (rows, revenue_daily rows and directory blocks
-- are moving to their new shards), 'moved' (every move is done), 'switched' (this shard holds
-- the new shard_map and shard count). A rerun resumes with these boundaries; loads and
-- snapshots are refused while a row exists in any shard.
CREATE TABLE IF NOT EXISTS reshard_state (
  one_row     TINYINT     NOT NULL DEFAULT 1 PRIMARY KEY,
  reshard_id  VARCHAR(64) NOT NULL,
  cluster_id  CHAR(32)    NOT NULL,
  from_count  INT         NOT NULL,
  to_count    INT         NOT NULL,
  boundaries  TEXT        NOT NULL,
  phase       VARCHAR(16) NOT NULL,
  started_at  DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
