-- One database per wangge service: each service owns its data and never reads another's tables.
-- The postgres image runs this once, as POSTGRES_USER (wangge), when its data volume is empty;
-- the databases are owned by that user. Each service's tables come from `wangge migrate <service>`.
CREATE DATABASE roster;
CREATE DATABASE intake;
CREATE DATABASE routing;
CREATE DATABASE notify;
CREATE DATABASE reporting;
-- The portal's own database (people's accounts, sessions). On a volume created before the portal existed this file
-- does not run again: create it by hand once (docs/operations.md, "Adding the portal to an existing deployment").
CREATE DATABASE portal;
