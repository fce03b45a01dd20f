# Example conftest policy over `iamlake check-plan --format conftest` output.
#
#   iamlake check-plan --plan plan.json --format conftest > iamlake.json || true
#   conftest test --policy docs/conftest iamlake.json
#
# iamlake has already applied its override file: a finding it overrode has
# status "overridden" and carries the override's reason and expiry.
# With --lake, a grant the subject already had before the change has status
# "already_allowed" (and change "already_allowed"): context, never denied.
package main

import rego.v1

# Every violation fails the check, as iamlake's own exit code does.
deny contains msg if {
	some f in input.iamlake.findings
	f.status == "violation"
	msg := sprintf("%s: %s is %s on any resource: %s", [f.address, f.action, f.decision, f.why])
}

# Conditional grants are worth a look, not a failure.
warn contains msg if {
	some f in input.iamlake.findings
	f.status == "warning"
	msg := sprintf("%s: %s only under conditions (missing keys: %v)", [f.address, f.action, f.missing_context_keys])
}

# A policy iamlake could not evaluate (known only after apply) is not a pass.
warn contains msg if {
	some u in input.iamlake.unknowns
	msg := sprintf("%s: not checked: %s", [u.address, u.reason])
}
