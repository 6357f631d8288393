/**
 * A list filter's labelled select: "any" (the empty value, no filter) and then each choice. Uncontrolled: the
 * filter form reads it on submit and is re-keyed when the URL's filters change.
 */
export function AnySelect(props: {
  id: string;
  name: string;
  label: string;
  choices: readonly string[];
  defaultValue: string;
}) {
  return (
    <>
      <label htmlFor={props.id}>{props.label}</label>
      <select id={props.id} name={props.name} defaultValue={props.defaultValue}>
        <option value="">any</option>
        {props.choices.map((choice) => (
          <option key={choice} value={choice}>
            {choice}
          </option>
        ))}
      </select>
    </>
  );
}
