-- sql/analytics.sql - the analytics database of docs/serving.md, the tables
-- `txetl publish` (and every load or snapshot, unless --no-publish) refreshes.
--
-- txetl creates these itself (the column lists come from the snapshot's column tables,
-- src/snapshot/snapshot_schema.c, through `txetl publish --print-ddl`, which prints exactly
-- the statements below: the test serve_ddl_matches_sql_file checks it). This file is for a
-- DBA who wants them before the first publication, or to review them:
--
--   mariadb --defaults-file=shards.cnf --defaults-group-suffix= ... < sql/analytics.sql
--
-- Every refresh builds `<table>_new`, then swaps all six in ONE
-- `RENAME TABLE a TO a_old, a_new TO a, ...` and drops the `_old` ones, so a reader sees the
-- previous snapshot's tables or the new ones, never a mix. `snapshots` keeps its rows.
CREATE DATABASE IF NOT EXISTS CustomerAnalytics CHARACTER SET utf8mb4;
USE CustomerAnalytics;

CREATE TABLE IF NOT EXISTS `customer_scores` (
  `customer_id` BIGINT UNSIGNED NOT NULL,
  `first_purchase` DATE NOT NULL,
  `last_purchase` DATE NOT NULL,
  `orders` INT UNSIGNED NOT NULL,
  `revenue` DECIMAL(20,2) NOT NULL,
  `recency_days` INT NOT NULL,
  `r_score` TINYINT UNSIGNED NOT NULL,
  `f_score` TINYINT UNSIGNED NOT NULL,
  `m_score` TINYINT UNSIGNED NOT NULL,
  `segment` VARCHAR(64) NOT NULL,
  `frequency` DOUBLE NULL,
  `recency` DOUBLE NULL,
  `T` DOUBLE NULL,
  `monetary_value` DOUBLE NULL,
  `p_alive` DOUBLE NULL,
  `expected_purchases` DOUBLE NULL,
  `expected_avg_value` DOUBLE NULL,
  `clv` DOUBLE NULL,
  `run_id` VARCHAR(64) NOT NULL,
  PRIMARY KEY (`customer_id`),
  KEY `idx_segment` (`segment`),
  KEY `idx_clv` (`clv`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin
  COMMENT='txetl: one row per customer of the published snapshot (/customers)';

CREATE TABLE IF NOT EXISTS `revenue_daily` (
  `basis` VARCHAR(64) NOT NULL,
  `currency` CHAR(3) NOT NULL,
  `date` DATE NOT NULL,
  `revenue` DECIMAL(20,2) NULL,
  `transactions` BIGINT UNSIGNED NULL,
  `customers` BIGINT UNSIGNED NULL,
  `gross` DECIMAL(20,2) NULL,
  `refunds` DECIMAL(20,2) NULL,
  `run_id` VARCHAR(64) NOT NULL,
  PRIMARY KEY (`basis`, `currency`, `date`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin
  COMMENT='txetl: /revenue/daily (basis reporting) and per-currency daily revenue (basis original)';

CREATE TABLE IF NOT EXISTS `revenue_monthly` (
  `basis` VARCHAR(64) NOT NULL,
  `currency` CHAR(3) NOT NULL,
  `month` DATE NOT NULL,
  `revenue` DECIMAL(20,2) NULL,
  `transactions` BIGINT UNSIGNED NULL,
  `active_customers` BIGINT UNSIGNED NULL,
  `new_customers` BIGINT UNSIGNED NULL,
  `gross` DECIMAL(20,2) NULL,
  `refunds` DECIMAL(20,2) NULL,
  `run_id` VARCHAR(64) NOT NULL,
  PRIMARY KEY (`basis`, `currency`, `month`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin
  COMMENT='txetl: /revenue/monthly (basis reporting) and per-currency monthly revenue (basis original)';

CREATE TABLE IF NOT EXISTS `cohorts` (
  `cohort_month` DATE NOT NULL,
  `month_offset` INT NOT NULL,
  `customers` BIGINT UNSIGNED NOT NULL,
  `revenue` DECIMAL(20,2) NOT NULL,
  `cohort_size` BIGINT UNSIGNED NOT NULL,
  `run_id` VARCHAR(64) NOT NULL,
  PRIMARY KEY (`cohort_month`, `month_offset`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin
  COMMENT='txetl: customers by month of first purchase, N = 0..12 months later (/cohorts, reporting currency)';

CREATE TABLE IF NOT EXISTS `model_params` (
  `model` VARCHAR(64) NOT NULL,
  `parameter` VARCHAR(64) NOT NULL,
  `value` DOUBLE NULL,
  `se` DOUBLE NULL,
  `converged` TINYINT UNSIGNED NULL,
  `loglik` DOUBLE NULL,
  `grad_norm` DOUBLE NULL,
  `n` BIGINT UNSIGNED NULL,
  `unit` VARCHAR(64) NULL,
  `run_id` VARCHAR(64) NOT NULL,
  PRIMARY KEY (`model`, `parameter`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin
  COMMENT='txetl: fitted model parameters and CLV settings (/model)';

CREATE TABLE IF NOT EXISTS `snapshots` (
  `run_id` VARCHAR(64) NOT NULL,
  `created` DATETIME(6) NOT NULL,
  `as_of` DATE NOT NULL,
  `published` DATETIME(6) NOT NULL,
  `file` TEXT NOT NULL,
  `ranks` INT NOT NULL,
  `shards` INT NOT NULL,
  `customers` BIGINT UNSIGNED NOT NULL,
  `reporting_currency` CHAR(3) NOT NULL,
  `rows_read` BIGINT UNSIGNED NOT NULL,
  `rows_rejected` BIGINT UNSIGNED NOT NULL,
  `rows_inserted` BIGINT UNSIGNED NOT NULL,
  `rows_updated` BIGINT UNSIGNED NOT NULL,
  `rows_moved` BIGINT UNSIGNED NOT NULL,
  `rows_deleted` BIGINT UNSIGNED NOT NULL,
  `rows_stale` BIGINT UNSIGNED NOT NULL,
  `rows_superseded` BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (`run_id`),
  KEY `idx_published` (`published`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin
  COMMENT='txetl: one row per published snapshot; the newest `published` is live';
