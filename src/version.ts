/** The version reported by --version, the User-Agent and the startup line. Kept in step with package.json by a test. */
export const VERSION = '1.0.0';
