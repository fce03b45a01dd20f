-- The simulations table with the breadth of every grant for every schema
-- version: partitions written before schema version 3 asked only about `*`,
-- so a grant allowed (or conditionally allowed) there reads as breadth any,
-- and its breadth_decision is its decision. account_or_wider marks the grants
-- that make a role risky (with breadth_decision = 'allowed'). A row-by-row
-- projection of roles' rows (users' decisions, principal_type user, are left
-- out; the column is null before users were evaluated, when every row was a
-- role's): the views reading it filter snapshot_date, which the engine
-- pushes down to the partition key.
CREATE OR REPLACE VIEW simulation_breadth AS
WITH normalized AS (
    SELECT snapshot_date,
           account_id,
           role_id,
           role_name,
           action,
           decision,
           coalesce(breadth, CASE WHEN decision IN ('allowed', 'conditionally_allowed') THEN 'any' END) AS breadth,
           coalesce(breadth_decision, decision) AS breadth_decision
    FROM simulations
    WHERE coalesce(principal_type, 'role') = 'role'
)
SELECT *, coalesce(breadth IN ('any', 'account'), false) AS account_or_wider
FROM normalized;
