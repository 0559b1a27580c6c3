// The same toolexec shim in C, used when a C compiler is at hand: it costs
// about a third of the bash shim's CPU per tool run (no interpreter start-up),
// which matters for the capture's wall-time overhead, and wait4(2) gives the
// tool's exact user/sys CPU and max RSS. It writes the same run files and
// events lines as the bash shim (see shim.ts); only the end record's last
// field differs: "R <user_ns> <sys_ns> <maxrss_kb>" instead of bash `times`.
// Compiled once per source version into the user's cache folder.
// Both shims add `-bench=$GBP_BENCH` to real compile runs (see withbench).
import { compileCached } from './cc-cache.ts';

export const SHIM_C_SOURCE = String.raw`// gbp toolexec shim (C), compiled by gbp capture. argv: shim [user toolexec...] tool args...
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void stamp(char *b, size_t n) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(b, n, "%lld.%09ld", (long long)ts.tv_sec, ts.tv_nsec);
}

static void put(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

static void putz(int fd, const char *s) { put(fd, s, strlen(s) + 1); } /* with its NUL */

static void appendline(const char *file, const char *line) {
  int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  put(fd, line, strlen(line)); /* one write: O_APPEND keeps concurrent lines whole */
  close(fd);
}

static void onsig(int s) { (void)s; } /* outlive an interrupt to write the end record */

/* A real compile run gets -bench=$GBP_BENCH as its first flag: the phase
   timings, added here rather than through -gcflags because go hashes
   -gcflags into its cache keys and would rebuild what the user has cached. */
static char **withbench(int argc, char **argv, int chain, const char *tool) {
  const char *bench = getenv("GBP_BENCH");
  const char *slash = strrchr(tool, '/');
  int nargs = argc - (2 + chain);
  if (!bench || !*bench || strcmp(slash ? slash + 1 : tool, "compile") != 0 || nargs < 1) return argv + 1;
  const char *a = argv[2 + chain];
  if (nargs == 1 && (strcmp(a, "-V") == 0 || strcmp(a, "-V=full") == 0)) return argv + 1; /* version probe */
  char **nv = malloc((size_t)(argc + 1) * sizeof *nv);
  char *flag = malloc(strlen(bench) + 8);
  if (!nv || !flag) return argv + 1;
  sprintf(flag, "-bench=%s", bench);
  int k = 0;
  for (int i = 1; i <= 1 + chain; i++) nv[k++] = argv[i];
  nv[k++] = flag;
  for (int i = 2 + chain; i < argc; i++) nv[k++] = argv[i];
  nv[k] = NULL;
  return nv;
}

int main(int argc, char **argv) {
  const char *dir = getenv("GBP_RUNDIR");
  const char *ip = getenv("TOOLEXEC_IMPORTPATH");
  const char *ns = getenv("GBP_CHAIN_N");
  int chain = ns ? atoi(ns) : 0;
  if (!ip) ip = "";
  if (argc < 2) return 2;
  if (!dir) { execvp(argv[1], argv + 1); return 127; }
  char run[4096], events[4096], t[64], line[8192];
  stamp(t, sizeof t);
  char *dot = strchr(t, '.');
  snprintf(run, sizeof run, "%s/%ld-%.*s%s", dir, (long)getpid(), (int)(dot - t), t, dot + 1);
  snprintf(events, sizeof events, "%s/events", dir);
  const char *tool = 1 + chain < argc ? argv[1 + chain] : "";

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = onsig;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);

  pid_t child = fork();
  if (child < 0) { perror("gbp-toolexec: fork"); return 126; }
  if (child == 0) { /* handlers reset to default at exec */
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    stamp(t, sizeof t);
    int fd = open(run, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      char n[16];
      snprintf(n, sizeof n, "%d", chain);
      putz(fd, "S"); putz(fd, pid); putz(fd, t); putz(fd, ip); putz(fd, n);
      for (int i = 1; i < argc; i++) putz(fd, argv[i]);
      close(fd);
    }
    snprintf(line, sizeof line, "S %ld %s %s %s\n", (long)getppid(), pid, tool, ip);
    appendline(events, line);
    execvp(argv[1], withbench(argc, argv, chain, tool));
    fprintf(stderr, "gbp-toolexec: exec %s: %s\n", argv[1], strerror(errno));
    _exit(127);
  }
  int st = 0;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  while (wait4(child, &st, 0, &ru) < 0 && errno == EINTR) {}
  int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
  int rc = sig ? 128 + sig : WEXITSTATUS(st);
  stamp(t, sizeof t);
  int fd = open(run, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd >= 0) {
    char rcs[16], cpu[128];
    snprintf(rcs, sizeof rcs, "%d", rc);
    snprintf(cpu, sizeof cpu, "R %lld %lld %ld",
             (long long)ru.ru_utime.tv_sec * 1000000000LL + ru.ru_utime.tv_usec * 1000LL,
             (long long)ru.ru_stime.tv_sec * 1000000000LL + ru.ru_stime.tv_usec * 1000LL, ru.ru_maxrss);
    put(fd, "", 1); putz(fd, "E"); putz(fd, rcs); putz(fd, t); put(fd, cpu, strlen(cpu));
    close(fd);
  }
  snprintf(line, sizeof line, "E %ld %d\n", (long)getpid(), rc);
  appendline(events, line);
  if (sig) { /* die of the same signal, so go reports it as usual */
    signal(sig, SIG_DFL);
    kill(getpid(), sig);
  }
  return rc;
}
`;

/** Path of the compiled C shim (see compileCached), or null when no C compiler works here. */
export function compiledShim(tmp: string, env: NodeJS.ProcessEnv): string | null {
  return compileCached('gbp-toolexec', SHIM_C_SOURCE, tmp, env);
}
