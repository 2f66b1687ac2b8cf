-- Run once by the postgres image at first start: the owner runs migrations, the
-- application role owns nothing and cannot bypass row-level security.
CREATE ROLE constel_owner LOGIN PASSWORD 'owner-change-me';
CREATE ROLE constel_app LOGIN PASSWORD 'app-change-me' NOSUPERUSER NOBYPASSRLS;
CREATE DATABASE constel OWNER constel_owner;
