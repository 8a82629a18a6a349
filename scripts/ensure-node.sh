# Sourced by .ci/run (and usable in a shell): puts Node.js 24 first on PATH when the machine's node is older than 22.
_pb_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_pb_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "${_pb_major}" -lt 22 ]; then
  if [ ! -x "${_pb_root}/.tools/node_modules/.bin/node" ]; then
    echo "node ${_pb_major} is older than 22: installing Node.js 24 into .tools/ from the npm registry" >&2
    npm install --prefix "${_pb_root}/.tools" --no-save node@24 >&2
  fi
  export PATH="${_pb_root}/.tools/node_modules/.bin:${PATH}"
fi
echo "using node $(node --version)" >&2
unset _pb_root _pb_major
