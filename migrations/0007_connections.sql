-- 0007_connections: EventBridge connections (how HTTP tasks authorize their
-- requests), their secrets sealed.
-- Append-only: never edit this file once released; add 0008_... instead.

-- auth_parameters is what DescribeConnection shows (no secret value in it);
-- sealed_parameters is every authorization parameter, secret values
-- included, encrypted with AES-256-GCM under the secrets key (which is never
-- in the database) and bound to the connection's ARN; NULL once the
-- connection is deauthorized. revision counts the writes of a row, so that
-- an update refuses to overwrite a change it did not see.
CREATE TABLE connections (
  id                 INTEGER PRIMARY KEY,
  arn                TEXT    NOT NULL UNIQUE,
  name               TEXT    NOT NULL UNIQUE,
  description        TEXT    NOT NULL DEFAULT '',
  authorization_type TEXT    NOT NULL CHECK (authorization_type IN
                       ('BASIC', 'OAUTH_CLIENT_CREDENTIALS', 'API_KEY')),
  state              TEXT    NOT NULL CHECK (state IN
                       ('CREATING', 'UPDATING', 'DELETING', 'AUTHORIZED', 'DEAUTHORIZED',
                        'AUTHORIZING', 'DEAUTHORIZING')),
  state_reason       TEXT    NOT NULL DEFAULT '',
  auth_parameters    TEXT    NOT NULL DEFAULT '{}',
  sealed_parameters  BLOB,
  revision           INTEGER NOT NULL,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  authorized_at      INTEGER
);
