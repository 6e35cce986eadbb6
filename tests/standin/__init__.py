"""A stand-in cloud for the real Pulumi CLI (`make engine`): `aws` and `kubernetes` resource plugins speaking the
provider protocol, backed by a moto server and the fake Kubernetes API servers of `tests/fake_kube_api.py`.

Test-only: the real pulumi-aws cannot be built from the module proxy (see README, "Running with the real engine").
"""
