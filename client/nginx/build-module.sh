#!/usr/bin/env bash
# Builds ngx_http_corsd_module.so against Debian's nginx-dev the way Debian
# builds its own nginx modules: nginx's configure with the flags Debian's
# nginx was built with (conf_flags), so the module's signature matches the
# installed nginx and load_module accepts it. configure writes into the tree
# it runs in, so it runs in a copy under OUT (once; again when `config`
# changes); `make modules` then rebuilds only the module.
#
# The module's sources are copied into that tree and named relative to it:
# nginx's make rules rewrite source paths (".S" anywhere in an absolute path
# would be taken for an assembler suffix), so no path from outside reaches them.
#
#   build-module.sh NGINX_SRC MODULE_DIR OUT CORSD_INCLUDE CORSD_LIBDIR
set -euo pipefail
ngx_src=$1 module_dir=$2 out=$3
export CORSD_INCLUDE=$4 CORSD_LIBDIR=$5
tree=$out/nginx-src
mkdir -p "$out"
# Copies SRC to DST only when it differs, so make sees a change by its time.
sync_file() { cmp -s "$1" "$2" 2>/dev/null || cp "$1" "$2"; }
if ! cmp -s "$module_dir/config" "$tree/corsd-module/config" 2>/dev/null ||
   [[ ! -f $tree/objs/Makefile ]]; then
  rm -rf "$tree"
  cp -r "$ngx_src" "$tree"
  mkdir -p "$tree/corsd-module"
  cp "$module_dir/config" "$module_dir/ngx_http_corsd_module.c" "$tree/corsd-module/"
  (
    cd "$tree"
    # shellcheck disable=SC1091
    . ./conf_flags
    ./configure "${NGX_CONF_FLAGS[@]}" --with-cc-opt="-fPIC -O2 -g -Wall" --with-ld-opt="-fPIC" \
      --add-dynamic-module=corsd-module
  ) >"$out/configure.log" 2>&1 || { tail -n 30 "$out/configure.log" >&2; exit 1; }
fi
sync_file "$module_dir/ngx_http_corsd_module.c" "$tree/corsd-module/ngx_http_corsd_module.c"
make -C "$tree" -f objs/Makefile modules >"$out/make.log" 2>&1 ||
  { tail -n 40 "$out/make.log" >&2; exit 1; }
cp "$tree/objs/ngx_http_corsd_module.so" "$out/ngx_http_corsd_module.so"
