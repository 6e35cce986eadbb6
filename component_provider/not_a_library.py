"""The build backend of the repository root: `pip install <checkout>` stops here, saying what to do instead.

This repository is a Pulumi project, a policy pack and a component package, not a library: its top-level
packages (`components`, `automation`, `policy_pack`) would collide with a project's own, and the program finds
its stacks and its pack in the checkout, not in site-packages.
"""

from typing import Any

HOW_TO_REUSE = """axonius-aws-access is not a pip-installable library. The supported ways to reuse it (README,
Embedding):
  - the AxoniusAccess component, in any language including Python:
      pulumi package add https://github.com/<owner>/axonius-aws-access/component_provider@<version>
  - the program, `python -m automation` and the Automation API: from a checkout (make setup)"""


class NotALibraryError(RuntimeError):
    pass


def _refuse(*_args: Any, **_kwargs: Any) -> Any:
    raise NotALibraryError(HOW_TO_REUSE)


get_requires_for_build_wheel = get_requires_for_build_sdist = get_requires_for_build_editable = _refuse
build_wheel = build_sdist = build_editable = _refuse
prepare_metadata_for_build_wheel = prepare_metadata_for_build_editable = _refuse
