/** Exit codes of the `manouche` command. */
export const EXIT_OK = 0;
/** A failure: bad settings, a system check error, a port in use. */
export const EXIT_FAILURE = 1;
/** The command line itself is wrong (unknown command or option, bad address). */
export const EXIT_USAGE = 2;
