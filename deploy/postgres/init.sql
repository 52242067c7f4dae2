-- One database per wangge service: each service owns its data and never reads another's tables.
-- The postgres image runs this once, as POSTGRES_USER (wangge), when its data volume is empty;
-- the databases are owned by that user. Each service's tables come from `wangge migrate <service>`.
CREATE DATABASE roster;
CREATE DATABASE intake;
CREATE DATABASE routing;
CREATE DATABASE notify;
CREATE DATABASE reporting;
