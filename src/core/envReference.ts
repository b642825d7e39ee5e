// How code in a given language reads an environment variable, for "insert a reference to the token's variable".
// `undefined` for languages without one obvious form: the caller asks the user.

const JS_IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The expression reading environment variable `name` in a document of VS Code language `languageId`. */
export function referenceFor(languageId: string, name: string): string | undefined {
  switch (languageId) {
    case 'javascript':
    case 'typescript':
    case 'javascriptreact':
    case 'typescriptreact':
      return JS_IDENTIFIER.test(name) ? `process.env.${name}` : `process.env[${JSON.stringify(name)}]`;
    case 'python':
      return `os.environ[${JSON.stringify(name)}]`;
    case 'yaml':
    case 'dockercompose':
      return `\${${name}}`;
    default:
      return undefined;
  }
}
