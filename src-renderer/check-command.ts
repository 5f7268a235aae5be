// Form checks with the node's own rules: a command is checked by the same validator the control
// server runs, so the UI never accepts what the node would refuse (and says why in the form).
import { CommandValidationError, parseCommand, type ControlCommand } from '../src-shared/control/commands.js';

/** Null when the node would accept the command, else the reason in words. */
export function commandProblem(command: ControlCommand): string | null {
  try {
    parseCommand(command);
    return null;
  } catch (error) {
    return error instanceof CommandValidationError ? error.message : 'not a valid command';
  }
}
