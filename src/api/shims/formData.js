// Bundled in place of `form-data` (which pulls in mime-db, ~140 KB): Token Hub never sends multipart bodies.
module.exports = class FormData {
  constructor() {
    throw new Error('Token Hub does not send multipart bodies.');
  }
};
