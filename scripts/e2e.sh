#!/usr/bin/env bash
# End-to-end tier: real Docker Engine, registry, skopeo, umoci. Not built yet.
set -euo pipefail
echo "e2e: nothing to run yet"
