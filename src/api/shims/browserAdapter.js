// Bundled in place of axios's xhr and fetch adapters: the extension host is Node, where axios uses its http
// adapter (the client asks for it by name), so the browser adapters are dead weight in the bundle.
export default false;
export const getFetch = () => false;
