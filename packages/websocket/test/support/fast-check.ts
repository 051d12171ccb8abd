export { default } from '../../../core/test/support/fast-check';
