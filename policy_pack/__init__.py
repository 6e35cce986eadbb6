"""The axonius-read-only policy pack; its rules import as `policy_pack.rules` (see __main__.py)."""
