// name: customer.write_predictions
// returns: nothing. $rows: one per scored customer: customer_id and values (predictive trait
// name -> value: churn_risk, expected_purchases_<N>d, predicted_clv, predictive_model_version,
// predictive_as_of, predicted_at), see traits.predict_job.
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id})
SET c += row.values
