#!/usr/bin/env bash
# The main job: set up, start estibad on its default socket, make a busybox:latest image
# from Debian's busybox-static, show it with the estiba CLI and run it with the docker CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

SOCK=/run/estiba/estiba.sock
export DOCKER_HOST="unix://$SOCK"
if ! node dist/bin/estiba.js version >/dev/null 2>&1; then
  mkdir -p /var/log/estiba
  nohup node dist/bin/estibad.js >>/var/log/estiba/estibad.log 2>&1 &
  for _ in $(seq 1 100); do [ -S "$SOCK" ] && node dist/bin/estiba.js version >/dev/null 2>&1 && break; sleep 0.1; done
  echo "estibad started (pid $(cat /run/estiba/estibad.pid), log /var/log/estiba/estibad.log)"
fi
# A busybox rootfs from Debian's busybox-static, imported as busybox:latest (once).
if ! node dist/bin/estiba.js image inspect busybox:latest >/dev/null 2>&1; then
  ROOTFS=$(mktemp -d)
  mkdir -p "$ROOTFS"/{bin,etc,tmp,proc,sys,dev,root,var,usr/bin}
  cp /bin/busybox "$ROOTFS/bin/busybox"
  for app in $("$ROOTFS/bin/busybox" --list); do [ -e "$ROOTFS/bin/$app" ] || ln -s busybox "$ROOTFS/bin/$app"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$ROOTFS/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOTFS/etc/group"
  chmod 1777 "$ROOTFS/tmp"
  tar -C "$ROOTFS" -c . | node dist/bin/estiba.js import -c 'CMD ["sh"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - busybox:latest
  rm -rf "$ROOTFS"
fi
node dist/bin/estiba.js images
# And a container, through the real docker CLI when it is installed.
if command -v docker >/dev/null 2>&1; then
  echo "+ DOCKER_HOST=$DOCKER_HOST docker run --rm busybox echo \"Hola desde estiba\""
  docker run --rm busybox echo "Hola desde estiba"
fi
echo "Try: DOCKER_HOST=$DOCKER_HOST docker images"
