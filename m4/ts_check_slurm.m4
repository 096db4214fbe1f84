dnl ts_check_slurm.m4: TS_CHECK_SLURM, where the Slurm headers and libslurm
dnl are found and which release they are. Kept apart from configure.ac
dnl because it is the one check with logic of its own (a prefix, an rpath,
dnl a minimum release); m4/ otherwise holds only the macros libtoolize copies
dnl there (not in the repository).
dnl
dnl --with-slurm=PATH: prefix holding include/slurm/spank.h and lib*/libslurm.so
dnl (Slurm 22.05 to 26.05; differences in src/slurm_compat.h). Its headers
dnl come in with -isystem: Slurm's own "()" prototypes must not trip
dnl -Wstrict-prototypes -Werror. A libslurm outside the linker's default
dnl path gets an rpath, so the installed tasksuite finds it without
dnl LD_LIBRARY_PATH.
dnl
dnl Sets and substitutes SLURM_CPPFLAGS, SLURM_LDFLAGS, SLURM_LIBS.
AC_DEFUN([TS_CHECK_SLURM], [
AC_ARG_WITH([slurm],
  [AS_HELP_STRING([--with-slurm=PATH], [Slurm install prefix (default /usr)])],
  [slurm_prefix="$withval"], [slurm_prefix=/usr])
SLURM_CPPFLAGS=""
SLURM_LDFLAGS=""
AS_IF([test "x$slurm_prefix" != "x/usr"], [
  AS_IF([test -r "$slurm_prefix/include/slurm/slurm.h"], [],
    [AC_MSG_ERROR([--with-slurm=$slurm_prefix: no include/slurm/slurm.h there])])
  SLURM_CPPFLAGS="-isystem $slurm_prefix/include"
  for d in lib64 lib lib/x86_64-linux-gnu; do
    AS_IF([test -e "$slurm_prefix/$d/libslurm.so"],
      [SLURM_LDFLAGS="$SLURM_LDFLAGS -L$slurm_prefix/$d -Wl,-rpath,$slurm_prefix/$d"])
  done
])
save_CPPFLAGS="$CPPFLAGS"; save_LDFLAGS="$LDFLAGS"
CPPFLAGS="$CPPFLAGS $SLURM_CPPFLAGS"; LDFLAGS="$LDFLAGS $SLURM_LDFLAGS"
AC_CHECK_HEADERS([slurm/spank.h slurm/slurm.h], [],
  [AC_MSG_ERROR([Slurm headers not found under $slurm_prefix (install libslurm-dev or pass --with-slurm=PATH)])])
AC_MSG_CHECKING([the Slurm release of these headers])
AC_COMPUTE_INT([ts_slurm_version], [SLURM_VERSION_NUMBER], [[#include <slurm/slurm_version.h>]],
  [AC_MSG_ERROR([cannot read SLURM_VERSION_NUMBER from slurm/slurm_version.h])])
ts_slurm_release=$(printf '%d.%02d.%d' $((ts_slurm_version >> 16)) $(((ts_slurm_version >> 8) & 255)) $((ts_slurm_version & 255)))
AC_MSG_RESULT([$ts_slurm_release])
AS_IF([test "$ts_slurm_version" -lt 1443072],
  [AC_MSG_ERROR([Slurm $ts_slurm_release is too old: tasksuite needs 22.05 or newer])])
AC_CHECK_LIB([slurm], [slurm_get_rem_time], [SLURM_LIBS="-lslurm"],
  [AC_MSG_ERROR([libslurm not found under $slurm_prefix])])
CPPFLAGS="$save_CPPFLAGS"; LDFLAGS="$save_LDFLAGS"
AC_SUBST([SLURM_CPPFLAGS])
AC_SUBST([SLURM_LDFLAGS])
AC_SUBST([SLURM_LIBS])
])
