-- 0006_placeholder: holds version 6 for the migration being written on main
-- at the same time (versions must run without gaps). Delete this file when
-- that branch's 0006 is merged; it creates nothing.
SELECT 1;
