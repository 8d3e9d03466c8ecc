package cwapi

import (
	"cmp"
	"context"
	"slices"
	"strconv"

	"github.com/cutover/cutover/internal/cloudwatch"
	"github.com/cutover/cutover/internal/state"
)

// defaultHistoryRecords is DescribeAlarmHistory's page size when
// MaxRecords is not given.
const defaultHistoryRecords = 100

// describeAlarmHistory lists the history of one alarm (or of all, deleted
// ones included), newest first unless ScanBy is TimestampAscending,
// filtered by item type and by StartDate <= Timestamp <= EndDate.
func (a *API) describeAlarmHistory(ctx context.Context, in *cloudwatch.DescribeAlarmHistoryInput) (*cloudwatch.DescribeAlarmHistoryOutput, error) {
	if in.StartDate != nil && in.EndDate != nil && in.EndDate.Before(in.StartDate.Time) {
		return nil, invalidValue("The parameter StartDate must be less than or equal to the parameter EndDate.")
	}
	token, err := decodeToken("history", in.NextToken)
	if err != nil {
		return nil, err
	}
	var after uint64
	if token != "" {
		if after, err = strconv.ParseUint(token, 10, 64); err != nil {
			return nil, apiErr(errInvalidNextToken, "The service cannot parse the NextToken %q.", in.NextToken)
		}
	}
	limit := defaultHistoryRecords
	if in.MaxRecords != nil {
		limit = int(*in.MaxRecords)
	}
	ascending := in.ScanBy == cloudwatch.ScanByTimestampAscending
	wantMetric := len(in.AlarmTypes) == 0 || slices.Contains(in.AlarmTypes, cloudwatch.AlarmTypeMetricAlarm)
	var items []*state.AlarmHistoryItem
	if wantMetric {
		err = a.view(ctx, func(tx state.Tx) error {
			return tx.AlarmHistory(in.AlarmName, func(it *state.AlarmHistoryItem) error {
				if keepHistory(in, it, after, ascending) {
					items = append(items, it)
				}
				return nil
			})
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(items, func(x, y *state.AlarmHistoryItem) int {
		if ascending {
			return cmp.Compare(x.Seq, y.Seq)
		}
		return cmp.Compare(y.Seq, x.Seq)
	})
	out := &cloudwatch.DescribeAlarmHistoryOutput{AlarmHistoryItems: []cloudwatch.AlarmHistoryItem{}}
	for i, it := range items {
		if i == limit {
			out.NextToken = encodeToken("history", strconv.FormatUint(items[i-1].Seq, 10))
			break
		}
		out.AlarmHistoryItems = append(out.AlarmHistoryItems, it.AlarmHistoryItem)
	}
	return out, nil
}

// keepHistory reports whether item passes the filters of in and comes
// after the page that ended with sequence number after (0: first page).
func keepHistory(in *cloudwatch.DescribeAlarmHistoryInput, it *state.AlarmHistoryItem, after uint64, ascending bool) bool {
	if after != 0 && ((ascending && it.Seq <= after) || (!ascending && it.Seq >= after)) {
		return false
	}
	if in.HistoryItemType != "" && it.HistoryItemType != in.HistoryItemType {
		return false
	}
	if it.Timestamp == nil {
		return in.StartDate == nil && in.EndDate == nil
	}
	if in.StartDate != nil && it.Timestamp.Before(in.StartDate.Time) {
		return false
	}
	if in.EndDate != nil && it.Timestamp.After(in.EndDate.Time) {
		return false
	}
	return true
}
