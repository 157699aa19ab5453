/**
 * Inserts one reading into a chart's aligned columns (uPlot's data: `data[0]` the times in seconds,
 * ascending, then one column per name of `fields`). A numeric field not there yet gets a column of its
 * own (`fields` and `data` grow; earlier rows hold null in it). The row goes where its time puts it, as
 * readings stored by other instances come from the store later and may be older than one shown already;
 * a time the columns hold already is not added again. Returns whether a row was added and whether
 * columns were.
 */
export function insertReading(
  data: (number | null)[][],
  fields: string[],
  timeS: number,
  values: Record<string, number | string | boolean>,
): { row: boolean; columns: boolean } {
  const added = Object.keys(values).filter(
    (name) => typeof values[name] === 'number' && !fields.includes(name),
  );
  for (const name of added) {
    fields.push(name);
    data.push(data[0]!.map(() => null));
  }
  const columns = added.length > 0;
  const times = data[0]!;
  let at = times.length;
  while (at > 0 && times[at - 1]! > timeS) at--;
  if (at > 0 && times[at - 1] === timeS) return { row: false, columns };
  times.splice(at, 0, timeS);
  fields.forEach((name, i) => {
    const value = values[name];
    data[i + 1]!.splice(at, 0, typeof value === 'number' ? value : null);
  });
  return { row: true, columns };
}
