// Bundled in place of axios's data: URL size estimate: hub addresses are http(s) only (checked at sign-in).
export function estimateDataURLBufferAllocation() {
  throw new Error('Token Hub does not request data: URLs.');
}
export default estimateDataURLBufferAllocation;
