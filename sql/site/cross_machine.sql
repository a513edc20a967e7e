-- One row per run compared across machines on the site's model pages, from the view
-- cross_machine: the run and the fastest comparable run on another machine, their totals (ms)
-- and total_ratio = other_total_ms / total_ms (above 1: this run's machine is faster);
-- like_for_like is false where the software differs (libraries not the same, or not known on one
-- side): such a row is for reading, not a machine comparison (see the view's header).
-- Ordered by model, then like-for-like first, stack, machines.
-- Scope: in_scope (sql/report/scope.sql); the other run can be on any machine.
SELECT c.model_key, c.stack_key, c.like_for_like, c.machine_key, c.machine, c.framework, c.stack,
       c.total_ms, c.other_machine_key, c.other_machine, c.other_stack, c.other_total_ms, c.total_ratio
FROM cross_machine AS c
WHERE in_scope(c.machine_id, c.model_key, lower(c.framework))
ORDER BY c.model_key, c.like_for_like DESC, c.stack_key, c.machine_key, c.other_machine_key, c.stack,
         c.run_id
