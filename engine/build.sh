#!/usr/bin/env bash
# `make engine`: the Pulumi CLI and everything it needs to run this project for real, under .engine/ (gitignored).
#
#   .engine/bin/      pulumi (built from the Go module proxy, version stamped), pulumi-language-python (this
#                     project's host, engine/python_host.py), pulumi-language-yaml (pulumi-yaml), and
#                     pulumi-resource-pulumi-python (upstream's dynamic-provider shim, from the sdk/v3 module)
#   .engine/home/     PULUMI_HOME, holding the stand-in aws and kubernetes plugins (tests/standin/) at the exact
#                     versions the installed Python SDKs request
#   .engine/env       sourced: PATH, PULUMI_HOME, PULUMI_SKIP_UPDATE_CHECK, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION
#
# Each step is stamped with what it was built from (go.mod/go.sum, plugin versions), so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
out="$root/.engine"
python="$root/venv/bin/python"
started=$(date +%s)
mkdir -p "$out/bin" "$out/home" "$out/stamps"
[ -x "$python" ] || { echo "error: $python is missing: run make setup first" >&2; exit 1; }

# The CLI's version: the pkg/v3 the wrapper module requires (the proxy does not serve the Python SDK's 3.272.0).
version=$(sed -n 's|^require github.com/pulumi/pulumi/pkg/v3 \(v[0-9.]*\)$|\1|p' engine/cli/go.mod)
[ -n "$version" ] || { echo "error: no 'require github.com/pulumi/pulumi/pkg/v3 vX.Y.Z' line in engine/cli/go.mod" >&2; exit 1; }

stamp_of() { cat "$@" | sha256sum | cut -c1-16; }
fresh() { [ -f "$out/stamps/$1" ] && [ "$(cat "$out/stamps/$1")" = "$2" ]; }

# go_tool NAME MODULE_DIR PACKAGE [LDFLAGS]: build a tool of a wrapper module (its go.sum pins every dependency).
go_tool() {
  local name=$1 dir=$2 package=$3 ldflags=${4:-} stamp
  stamp=$(stamp_of "$dir/go.mod" "$dir/go.sum"; echo "$ldflags")
  if fresh "$name" "$stamp" && [ -x "$out/bin/$name" ]; then return; fi
  echo "building $name ($package)"
  (cd "$dir" && go build -o "$out/bin/$name" -ldflags "$ldflags" "$package")
  echo "$stamp" > "$out/stamps/$name"
}

go_tool pulumi engine/cli github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version"
go_tool pulumi-language-yaml engine/yaml github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml

# Upstream's Python files from the sdk/v3 module at the CLI's version: the program runner and the dynamic-provider
# shim (the Python wheel ships neither).
sdk=$(cd engine/cli && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$out/bin/pulumi-language-python-exec"
install -m 0755 "$sdk/python/dist/pulumi-resource-pulumi-python" "$out/bin/pulumi-resource-pulumi-python"
cat > "$out/bin/pulumi-language-python" <<HOST
#!/bin/sh
exec "$python" -u "$root/engine/python_host.py" "$out/bin/pulumi-language-python-exec" "\$@"
HOST
chmod 0755 "$out/bin/pulumi-language-python"

cat > "$out/env" <<ENV
export PATH="$out/bin:\$PATH"
export PULUMI_HOME="$out/home"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
ENV

# The stand-in providers (tests/standin/), at the versions the SDKs ask the engine for (their pulumi-plugin.json).
# The installed plugin is a launcher running this clone's source, so editing the stand-in needs no reinstall.
for plugin in aws kubernetes; do
  wanted=$("$python" -c "import json, importlib.resources as r; \
print(json.loads(r.files('pulumi_$plugin').joinpath('pulumi-plugin.json').read_text())['version'])")
  stamp="$wanted $root"
  if fresh "plugin-$plugin" "$stamp" && [ -x "$out/home/plugins/resource-$plugin-v$wanted/pulumi-resource-$plugin" ]; then
    continue
  fi
  launcher="$out/launchers/$plugin"
  mkdir -p "$launcher"
  cat > "$launcher/pulumi-resource-$plugin" <<LAUNCHER
#!/bin/sh
cd "$root" && exec "$python" -u -m tests.standin.$plugin "\$@"
LAUNCHER
  chmod 0755 "$launcher/pulumi-resource-$plugin"
  (. "$out/env" && pulumi plugin install resource "$plugin" "$wanted" --file "$launcher" --reinstall)
  echo "$stamp" > "$out/stamps/plugin-$plugin"
done

echo "engine: $("$out/bin/pulumi" version) in $out; $(( $(date +%s) - started )) s; $(du -sh "$out" | cut -f1) on disk"
echo "use it with: . $out/env"
