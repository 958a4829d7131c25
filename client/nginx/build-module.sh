#!/usr/bin/env bash
# Builds ngx_http_corsd_module.so against Debian's nginx-dev the way Debian
# builds its own nginx modules: nginx's configure with the flags Debian's
# nginx was built with (conf_flags), so the module's signature matches the
# installed nginx and load_module accepts it. configure writes into the tree
# it runs in, so it runs in a copy under OUT (once; again when `config`
# changes); `make modules` then rebuilds only the module.
#
#   build-module.sh NGINX_SRC MODULE_DIR OUT CORSD_INCLUDE CORSD_LIBDIR
set -euo pipefail
ngx_src=$1 module_dir=$2 out=$3
export CORSD_INCLUDE=$4 CORSD_LIBDIR=$5
tree=$out/nginx-src
mkdir -p "$out"
if [[ ! -f $tree/objs/Makefile || $module_dir/config -nt $tree/objs/Makefile ]]; then
  rm -rf "$tree"
  cp -r "$ngx_src" "$tree"
  (
    cd "$tree"
    # shellcheck disable=SC1091
    . ./conf_flags
    ./configure "${NGX_CONF_FLAGS[@]}" --with-cc-opt="-fPIC -O2 -g -Wall" --with-ld-opt="-fPIC" \
      --add-dynamic-module="$module_dir" --builddir="$tree/objs"
  ) >"$out/configure.log" 2>&1 || { tail -n 30 "$out/configure.log" >&2; exit 1; }
fi
make -C "$tree" -f "$tree/objs/Makefile" modules >"$out/make.log" 2>&1 ||
  { tail -n 40 "$out/make.log" >&2; exit 1; }
cp "$tree/objs/ngx_http_corsd_module.so" "$out/ngx_http_corsd_module.so"
