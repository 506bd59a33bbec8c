/* `kapal-shim init -- ARGS`: pid 1 for `init 1` (docker run --init). It runs ARGS as its child,
 * forwards every signal it can catch to it, reaps every orphan, and exits as the child did. As pid 1
 * it only receives signals it handles or blocks, so it blocks them all and takes them in a loop. */
#include "shim.h"

extern char **environ;

static __attribute__((noreturn)) void run_child(char **argv, const sigset_t *mask) {
  if (isatty(STDIN_FILENO) && setpgid(0, 0) == 0) tcsetpgrp(STDIN_FILENO, getpgrp()); /* ^C reaches it */
  sigprocmask(SIG_SETMASK, mask, NULL);
  exec_command(argv, environ);
  dprintf(STDERR_FILENO, "kapal-init: %s\n", shim_err);
  _exit(127);
}

/* Reaps everything that has exited; returns 1 with *status once `child` is among them. */
static int reap(pid_t child, int *status) {
  int st, done = 0;
  for (pid_t pid; (pid = waitpid(-1, &st, WNOHANG)) > 0;)
    if (pid == child) *status = st, done = 1;
  return done;
}

int init_main(char **argv) {
  sigset_t all, none;
  int status;
  sigfillset(&all);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &all, NULL);
  pid_t child = fork();
  if (child < 0) {
    dprintf(STDERR_FILENO, "kapal-init: fork: %s\n", errstr(errno));
    return 127;
  }
  if (child == 0) run_child(argv, &none);
  for (;;) {
    int sig = sigwaitinfo(&all, NULL);
    if (sig == SIGCHLD && reap(child, &status))
      return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    if (sig > 0 && sig != SIGCHLD) kill(child, sig);
  }
}
