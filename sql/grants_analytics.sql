-- grants_analytics.sql - least privileges on the analytics database (docs/serving.md,
-- docs/serving.md), as roles (MariaDB >= 10.0.5); the router's are sql/grants_router.sql.
-- Run it on the analytics server as an administrator, then give the roles to accounts (passwords live only in the shard file, or
-- in the BI tool's own secret store; never in this file):
--
--   -- on the analytics server ([analytics] of the shard file, default the [shard0] server)
--   mariadb -uroot < sql/grants_analytics.sql
--   CREATE USER 'txetl_pub'@'10.0.%' IDENTIFIED BY '...' REQUIRE SSL;
--   GRANT txetl_publisher TO 'txetl_pub'@'10.0.%';
--   SET DEFAULT ROLE txetl_publisher FOR 'txetl_pub'@'10.0.%';
--   CREATE USER 'bi'@'10.1.%' IDENTIFIED BY '...' REQUIRE SSL;
--   GRANT txetl_bi TO 'bi'@'10.1.%';  SET DEFAULT ROLE txetl_bi FOR 'bi'@'10.1.%';
--
-- A database other than the default CustomerAnalytics ([analytics] database=...): replace the
-- name below.

-- ---- the analytics server -------------------------------------------------------------
-- txetl_publisher (the [analytics] account of the shard file), all on CustomerAnalytics:
--   CREATE            CREATE DATABASE IF NOT EXISTS at connect; CREATE TABLE of the live tables
--                     when absent and of every `<table>_new`
--   DROP              DROP TABLE of `_new` left by a dead refresh and of `_old` after the swap;
--                     RENAME TABLE needs DROP and ALTER on the old name
--   ALTER, INSERT     RENAME TABLE (ALTER + DROP on the old, CREATE + INSERT on the new name)
--   INDEX             secondary indexes built after the bulk load (ALTER TABLE ... ADD KEY)
--   INSERT, DELETE    LOAD DATA LOCAL INFILE [REPLACE] (snapshots: a republished run replaces
--                     its row); INSERT ... SELECT of the kept snapshots rows
--   SELECT            reading the kept snapshots rows
-- Not granted: FILE (LOAD DATA *LOCAL* streams txetl's own buffer), UPDATE, anything global.
-- GET_LOCK('txetl_publish.CustomerAnalytics') needs no privilege.
CREATE ROLE IF NOT EXISTS txetl_publisher;
GRANT SELECT, INSERT, DELETE, CREATE, DROP, ALTER, INDEX ON `CustomerAnalytics`.* TO txetl_publisher;

-- txetl_bi: dashboards and CRM exports read, nothing else.
CREATE ROLE IF NOT EXISTS txetl_bi;
GRANT SELECT ON `CustomerAnalytics`.* TO txetl_bi;
