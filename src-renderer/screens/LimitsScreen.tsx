import { useRef, useState, type FormEvent } from 'react';
import type { ContributionLimits, NodeState } from '../../src-shared/control/state.js';
import { Card } from '../components/Card.js';
import { CheckboxField } from '../components/CheckboxField.js';
import { NumberField } from '../components/NumberField.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { SnoozeControls } from '../components/SnoozeControls.js';
import { checkLimits, coresCeiling, draftOf, type LimitsDraft, type LimitsErrors } from '../limits-form.js';
import { CORES_MIN, PERCENT_MAX, PERCENT_MIN } from '../../src-shared/control/limits.js';
import { isPending } from '../store/node-store.js';
import { useNode } from '../store/store-context.js';

function LimitsForm({ limits, logicalCores, idleDetection, onStatus }: { limits: ContributionLimits; logicalCores: number | null; idleDetection: boolean; onStatus: (text: string) => void }) {
  const send = useNode((s) => s.send);
  const saving = useNode((s) => isPending(s, 'set-limits'));
  const [draft, setDraft] = useState<LimitsDraft>(() => draftOf(limits));
  const [errors, setErrors] = useState<LimitsErrors>({});
  const formRef = useRef<HTMLFormElement>(null);
  const ceiling = coresCeiling(logicalCores);

  const change = (patch: Partial<LimitsDraft>): void => {
    setDraft({ ...draft, ...patch });
    onStatus('');
  };

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const checked = checkLimits(draft, logicalCores);
    if (!checked.ok) {
      setErrors(checked.errors);
      onStatus('');
      formRef.current?.querySelector<HTMLInputElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    setErrors({});
    const result = await send({ command: 'set-limits', limits: checked.limits });
    onStatus(result.ok ? 'Limits saved.' : '');
  };

  return (
    <form ref={formRef} className="form" noValidate onSubmit={(e) => void submit(e)} aria-label="Contribution limits">
      <NumberField
        label="CPU share per core"
        unit="%"
        min={PERCENT_MIN}
        max={PERCENT_MAX}
        value={draft.cpuPercent}
        onChange={(cpuPercent) => change({ cpuPercent })}
        hint="How much of each offered core’s time work may use."
        error={errors.cpuPercent}
      />
      <NumberField
        label="Memory share"
        unit="%"
        min={PERCENT_MIN}
        max={PERCENT_MAX}
        value={draft.memoryPercent}
        onChange={(memoryPercent) => change({ memoryPercent })}
        hint="How much of the total memory work may reserve."
        error={errors.memoryPercent}
      />
      <NumberField
        label="Max cores"
        unit="cores"
        min={CORES_MIN}
        max={ceiling}
        value={draft.maxCores}
        onChange={(maxCores) => change({ maxCores })}
        hint={logicalCores === null ? 'The number of logical cores is unknown.' : `This computer has ${logicalCores} logical ${logicalCores === 1 ? 'core' : 'cores'}.`}
        error={errors.maxCores}
      />
      <CheckboxField
        label="Only when idle"
        checked={draft.onlyWhenIdle}
        onChange={(onlyWhenIdle) => change({ onlyWhenIdle })}
        disabled={!idleDetection && !draft.onlyWhenIdle}
        hint={
          idleDetection
            ? 'Work pauses while you use the keyboard or mouse.'
            : draft.onlyWhenIdle
              ? 'This has no effect here: this node runs without a desktop session, so it cannot tell when the computer is in use. Untick it, or run the desktop app.'
              : 'Not available here: this node runs without a desktop session, so it cannot tell when the computer is in use. The desktop app can.'
        }
      />
      <CheckboxField
        label="Pause on battery"
        checked={draft.pauseOnBattery}
        onChange={(pauseOnBattery) => change({ pauseOnBattery })}
        hint="Work pauses when the computer is not plugged in."
      />
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={saving}>
          {saving ? 'Saving…' : 'Save limits'}
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(draftOf(limits));
            setErrors({});
            onStatus('');
          }}
        >
          Undo changes
        </button>
      </div>
    </form>
  );
}

/** How much of this computer the network may use, and when. */
export function LimitsScreen({ node }: { node: NodeState }) {
  const { limits } = node.contribution;
  const logicalCores = node.hardware?.['cpu/logical-cores'] ?? null;
  const [status, setStatus] = useState('');
  return (
    <>
      <ScreenHeading lead="The node never gives more than this. Changes apply to work already running.">Contribution limits</ScreenHeading>
      <div className="grid">
        <Card title="Limits">
          <LimitsForm key={JSON.stringify(limits)} limits={limits} logicalCores={logicalCores} idleDetection={node.contribution.idleDetection} onStatus={setStatus} />
          <p role="status" className="form-status">
            {status}
          </p>
        </Card>
        {node.network.joined && node.contribution.enabled && (
          <Card title="Snooze">
            <p className="muted">Pause all work for a while; it resumes by itself.</p>
            <SnoozeControls contribution={node.contribution} />
          </Card>
        )}
      </div>
    </>
  );
}
