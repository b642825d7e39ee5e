// The flows' way to localise: VS Code's l10n inside VS Code, the English text (with its {0} filled in) where VS Code
// is absent, so the flows' validators keep their plain unit tests. The bundle export reads `l10n.t('…')` calls.
type L10nArg = string | number | boolean;

interface VsCodeL10n {
  t(message: string, ...args: L10nArg[]): string;
}

let vscodeL10n: VsCodeL10n | null | undefined;

function vscodeIfPresent(): VsCodeL10n | null {
  if (vscodeL10n === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      vscodeL10n = (require('vscode') as { l10n: VsCodeL10n }).l10n;
    } catch {
      vscodeL10n = null;
    }
  }
  return vscodeL10n;
}

export const l10n = {
  t(message: string, ...args: L10nArg[]): string {
    const localised = vscodeIfPresent();
    return localised ? localised.t(message, ...args) : message.replace(/\{(\d+)\}/g, (whole, index: string) => (Number(index) < args.length ? String(args[Number(index)]) : whole));
  },
};
