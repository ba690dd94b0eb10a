-- grants_router.sql - least privileges on the Spider router (docs/serving.md), as
-- roles. Run it on the [router] server as an administrator, then give txetl_router_admin to
-- the [router] account of the shard file and txetl_bi to the BI tool's account, e.g.
--
--   mariadb -uroot < sql/grants_router.sql
--   CREATE USER 'bi'@'10.1.%' IDENTIFIED BY '...' REQUIRE SSL;
--   GRANT txetl_bi TO 'bi'@'10.1.%';  SET DEFAULT ROLE txetl_bi FOR 'bi'@'10.1.%';
--
-- A router database other than the default Customer ([router] database=...): replace it below.
-- txetl_router_admin (the [router] account of the shard file, for `txetl router`):
--   FEDERATED ADMIN   CREATE OR REPLACE SERVER / DROP SERVER (one per shard)
--   RELOAD            FLUSH TABLES after the servers changed
--   SELECT ON mysql.servers   finding servers of an earlier, larger shard map to drop
--   CREATE, DROP, ALTER, INSERT on Customer   CREATE TABLE `..._new` ENGINE=SPIDER, the RENAME
--                     swap, DROP of the old tables
-- txetl_bi on the router: SELECT only. The router is read-only for users: writes through
-- Spider would be one INSERT per row, and an UPDATE that moves a row to another shard's dates
-- loses columns. All writes go through txetl to the shards.
-- The Spider links log in to each shard with that shard's account of the shard file (the
-- router's mysql.servers rows hold them: only administrators can read mysql.*).
CREATE ROLE IF NOT EXISTS txetl_router_admin;
CREATE ROLE IF NOT EXISTS txetl_bi;
GRANT FEDERATED ADMIN, RELOAD ON *.* TO txetl_router_admin;
GRANT SELECT ON `mysql`.`servers` TO txetl_router_admin;
GRANT SELECT, INSERT, CREATE, DROP, ALTER ON `Customer`.* TO txetl_router_admin;
GRANT SELECT ON `Customer`.* TO txetl_bi;
