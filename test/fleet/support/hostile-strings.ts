/**
 * Operator-provided strings that try to break out of a shell word. Each payload tries to create MARKER on the box;
 * tests check the value arrived unchanged and that MARKER does not exist afterwards.
 */
export const MARKER = '/tmp/pwned';

export const HOSTILE_STRINGS = [
  `$(touch ${MARKER})`,
  `\`touch ${MARKER}\``,
  `; touch ${MARKER}`,
  `| touch ${MARKER}`,
  `&& touch ${MARKER}`,
  `'; touch ${MARKER}; '`,
  `"; touch ${MARKER}; "`,
  `\ntouch ${MARKER}`,
  `\${IFS}touch\${IFS}${MARKER}`,
  `> ${MARKER}`,
  `<(touch ${MARKER})`,
  `$(printf 'touch ${MARKER}' | sh)`,
  "it's",
  '$HOME',
  '~root',
  '*',
  '-rf',
  'A=B',
  '\\',
  'émoji 🚀',
];
