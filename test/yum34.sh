#!/bin/sh
# yum as EL7's yum 3.4 behaves, over dnf, installed as /usr/bin/yum in the tests' roots and
# the lab's images (where dnf stands in for yum). dnf is strict; yum 3.4 is not: with its
# default skip_missing_names_on_install=True (yum/config.py), "yum install a b" with b in no
# repository prints "No package b available." and goes on with a (cli.py, installPkgs); with
# nothing left to install it says "Error: Nothing to do" and exits 1, or exits 0 when what is
# left is installed already. --setopt=skip_missing_names_on_install=False (or 0, no, off)
# makes it stop: "Not tolerating missing names on install, stopping.", exit 1. -t (tolerant)
# is accepted and means nothing, as in yum 3.4. Everything else goes to dnf as it is.
dnf=${MIDOBAKE_DNF:-/usr/bin/dnf}
[ -x "$dnf" ] || dnf=/usr/lib/midobake-test/dnf
skip=1
n=$#
while [ "$n" -gt 0 ]; do
  a=$1; shift; n=$((n-1))
  case $a in
    --setopt=skip_missing_names_on_install=*)
      case ${a##*=} in 0|[Ff]alse|FALSE|[Nn]o|NO|[Oo]ff|OFF) skip=0 ;; *) skip=1 ;; esac
      continue ;;
    -t|--tolerant) continue ;;
  esac
  set -- "$@" "$a"
done
verb=
for a; do case $a in -*) ;; *) verb=$a; break ;; esac; done
[ "$verb" = install ] || exec "$dnf" "$@"

# Options before and after the verb, and the names after it.
opts= names= seen=0
for a; do
  case $a in
    -*) opts="$opts $a" ;;
    *) if [ $seen = 0 ]; then seen=1; else names="$names $a"; fi ;;
  esac
done
# What the repositories have, and what is installed already: one query each.
# shellcheck disable=SC2086
have=$("$dnf" -q repoquery --qf '%{name}\n' $names 2>/dev/null)
want= done_=0
for p in $names; do
  if rpm -q "$p" >/dev/null 2>&1; then done_=1; continue; fi
  if printf '%s\n' "$have" | grep -qx "$p"; then want="$want $p"; continue; fi
  echo "No package $p available."
  if [ $skip = 0 ]; then
    echo "Error: Not tolerating missing names on install, stopping." >&2
    exit 1
  fi
done
if [ -z "$want" ]; then
  if [ $done_ = 1 ]; then echo "Nothing to do"; exit 0; fi
  echo "Error: Nothing to do" >&2
  exit 1
fi
# shellcheck disable=SC2086
exec "$dnf" $opts install $want
