package api

import (
	"net/http"

	"onair/internal/domain"
	"onair/internal/openapi"
)

// scheduleRoutes are the schedule's operations, declared like routes().
func (s *Server) scheduleRoutes() []route {
	return []route{
		{openapi.Operation{
			Method: "PUT", Path: "/api/workflows/{id}/schedule", Tag: "Workflows", OperationID: "updateWorkflowSchedule",
			Summary: "Set or clear a workflow's schedule",
			Description: "The body is the schedule object alone; {} clears it. Allowed in READY, RUNNING and DONE, 409 otherwise. " +
				"A running run goes on: a longer duration moves its stop; a cleared schedule leaves it to be stopped by hand. " +
				"A new start time moves the next occurrence. Occurrences whose window was already over are not started. " +
				"Answers with the workflow, nextRun included; a 400 names each bad field and changes nothing.",
			Params:    []openapi.Param{idParam},
			Body:      domain.Schedule{},
			Responses: responses(ok(domain.Workflow{}), append(append([]int{}, bodyErrs...), http.StatusNotFound, http.StatusConflict)...),
		}, s.putSchedule},
	}
}

func (s *Server) putSchedule(w http.ResponseWriter, r *http.Request) error {
	var sc domain.Schedule
	if err := decode(w, r, &sc); err != nil {
		return err
	}
	ch, err := s.Store.UpdateChannel(r.Context(), s.org(r), r.PathValue("id"), func(ch *domain.Channel) error {
		return ch.EditSchedule(&sc, s.now())
	})
	if err != nil {
		return err
	}
	s.scheduleChanged()
	writeJSON(w, http.StatusOK, s.workflowView(ch.Workflow))
	return nil
}

// scheduleChanged tells the scheduler to look at the schedules now rather than
// at its next planned wake: a start soon after the change is then on time.
// Every handler that writes a schedule calls it.
func (s *Server) scheduleChanged() {
	if s.Scheduler != nil {
		s.Scheduler.Notify()
	}
}
